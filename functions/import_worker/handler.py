"""The import worker: SQS messages of uploaded files (cut each into parts) and of parts (import each once)."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from cis.repository.factory import (
    customer_repository,
    duplicate_repository,
    dynamodb_client,
    import_file_repository,
    import_repository,
    upload_bucket,
    work_queue,
)
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.import_files import ImportFileService
from cis.service.imports import ImportService
from cis.topology import IMPORT_WORKER

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
client = dynamodb_client(validate=False)  # bulk writes the repositories build
blocks = duplicate_repository(client)
duplicates = DuplicateFinder(blocks, utcnow)
customers = CustomerService(customer_repository(client), duplicates)
imports = ImportService(import_repository(client), customers, duplicates, blocks, utcnow)
files = ImportFileService(import_file_repository(client), upload_bucket(), utcnow, work_queue(), imports)


def record_handler(record: SQSRecord) -> str:
    message = record.json_body
    # The last receive before the dead-letter queue: a part that fails now is reported, not lost.
    final = int(record.attributes.approximate_receive_count) >= IMPORT_WORKER.work.max_receive_count
    outcome = files.handle(message, final)
    label = {"import_id": message.get("import_id"), "part": message.get("part"), "outcome": outcome}
    logger.info("import message handled", extra=label)
    if outcome == "imported":
        metrics.add_metric(name="ImportPartsDone", unit=MetricUnit.Count, value=1)
    return outcome


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
