"""The framework floor of bench/coldstart.py: the least an API function built like ours does.

Powertools' Logger, Metrics and Tracer (X-Ray patching botocore, as our functions do), a validating
resolver with one GET route, and one DynamoDB client whose GetItem that route makes. Every function's
cold start is measured against this, so it stays minimal: no models of its own, no shared code.
"""

import os

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths

logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = boto3.client("dynamodb")
app = APIGatewayRestResolver(enable_validation=True)
TABLE = os.environ["TABLE_NAME"]


@app.get("/things/<thing_id>")
def get_thing(thing_id: str) -> dict:
    item = client.get_item(TableName=TABLE, Key={"PK": {"S": f"THING#{thing_id}"}, "SK": {"S": "THING"}})["Item"]
    return {"id": thing_id, "name": item["name"]["S"]}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    return app.resolve(event, context)
