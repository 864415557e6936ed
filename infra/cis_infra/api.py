"""The REST API: every route of `cis.topology.FUNCTIONS`; staff routes behind the staff Cognito authorizer,
customer routes (`Route.customer`) behind the customer one, signed routes (`Route.signed`) behind none: their
function verifies the token in the request."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cis import topology
from cis.api.errors import GATEWAY_RESPONSES, error_body, gateway_error_body
from cis.topology import Function, Route
from constructs import Construct

from cis_infra.nag import acknowledge

STAGE = "prod"
THROTTLE_RATE, THROTTLE_BURST = 100, 200  # requests per second, per stage
JSON = "application/json"
# Responses API Gateway gives for any other 4xx/5xx it produces itself, in the same error shape.
DEFAULT_RESPONSES = {
    "DEFAULT_4XX": error_body("request_rejected", "API Gateway rejected the request"),
    "DEFAULT_5XX": error_body("internal_error", "the service could not answer: retry later"),
}
ACCESS_LOG_FIELDS = {
    "requestId": apigw.AccessLogField.context_request_id(),
    "ip": apigw.AccessLogField.context_identity_source_ip(),
    "caller": apigw.AccessLogField.context_identity_caller(),
    "user": apigw.AccessLogField.context_identity_user(),
    "sub": apigw.AccessLogField.context_authorizer_claims("sub"),  # the Cognito id, not a name or email
    "requestTime": apigw.AccessLogField.context_request_time(),
    "httpMethod": apigw.AccessLogField.context_http_method(),
    "resourcePath": apigw.AccessLogField.context_resource_path(),
    "status": apigw.AccessLogField.context_status(),
    "protocol": apigw.AccessLogField.context_protocol(),
    "responseLength": apigw.AccessLogField.context_response_length(),
    "integrationLatency": apigw.AccessLogField.context_integration_latency(),
    "errorMessage": apigw.AccessLogField.context_error_message(),
}


def vtl_literal(text: str) -> str:
    """A mapping template that renders `text` as is: VTL would interpret `$` and `#`, so refuse them."""
    if "$" in text or "#" in text:
        raise ValueError(f"gateway response bodies are VTL templates; escape '$' and '#' first: {text}")
    return text


def path_parameters(path: str) -> dict[str, bool]:
    """/v1/customers/{customer_id} -> {"method.request.path.customer_id": True}: required, so validated."""
    return {f"method.request.path.{name}": True for name in re.findall(r"{(\w+)\+?}", path)}


class StaffApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        staff_pool: cognito.IUserPool,
        customer_pool: cognito.IUserPool,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)

        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description="CIS API: staff and customers",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The account-level role API Gateway needs to write execution logs (MethodLoggingLevel below).
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=THROTTLE_RATE,
                throttling_burst_limit=THROTTLE_BURST,
                # Errors only, and never request or response bodies: those hold personal data.
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
            ),
        )
        # The stack declares its outputs itself (ApiUrl); drop RestApi's automatic duplicate.
        self.rest_api.node.try_remove_child("Endpoint")
        # Each authorizer takes tokens of both pools, its own first: a customer's token on a staff route (or
        # a staff token on a customer route) reaches the handler, whose gate answers 403 naming the kind of
        # token the route takes (it tells them apart by the `iss` claim: CIS_STAFF_ISSUER, CIS_CUSTOMER_ISSUER),
        # where an authorizer of one pool would answer a bare 401 that says nothing of the mix-up.
        self.staff_authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "StaffAuthorizer", cognito_user_pools=[staff_pool, customer_pool]
        )
        self.customer_authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "CustomerAuthorizer", cognito_user_pools=[customer_pool, staff_pool]
        )
        # Bodies are validated in the handlers (pydantic), which answer field by field in the common
        # error shape; the gateway checks the parameters every route requires.
        self.validator = self.rest_api.add_request_validator("ParameterValidator", validate_request_parameters=True)

        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for spec in topology.FUNCTIONS:  # read now, not at import: what is declared is what is built
            # The alias: API Gateway invokes the published version (and is permitted on the alias only).
            integration = apigw.LambdaIntegration(functions[spec.name], proxy=True, allow_test_invoke=False)
            for route in spec.routes:
                self.methods[route.method, route.path] = self._method(spec, route, integration)

        for kind in GATEWAY_RESPONSES:
            status, body = gateway_error_body(kind)
            self._gateway_response(kind, body, str(status))
        for kind, body in DEFAULT_RESPONSES.items():
            self._gateway_response(kind, body, None)  # keeps API Gateway's own status code

        self._acknowledge()

    def _method(self, spec: Function, route: Route, integration: apigw.Integration) -> apigw.Method:
        if route.public and spec.table_access != "none":
            raise ValueError(f"{route.method} {route.path} is public but {spec.name} can reach the customer table")
        if route.signed and (route.roles or route.customer or spec.link_key != "verify"):
            # No sign-in: the token in the request is the only authority, so its function must check it.
            raise ValueError(f"{route.method} {route.path} is signed: no roles, and {spec.name} must verify links")
        resource = self.rest_api.root.resource_for_path(route.path)
        method = resource.add_method(
            route.method,
            integration,
            operation_name=route.operation_id,
            authorization_type=apigw.AuthorizationType.COGNITO if route.signed_in else apigw.AuthorizationType.NONE,
            authorizer=self._authorizer(route),
            request_validator=self.validator,
            request_parameters=path_parameters(route.path),
        )
        if route.public:
            # True by construction: a public route's function has no table permissions (checked above).
            reason = f"Public by design ({spec.name}: {spec.description}) and its function has no table access."
            acknowledge(method, "APIG4", reason)
            acknowledge(method, "COG4", reason)
        if route.signed:
            # True by construction: a signed route's function verifies links (checked above), and its handler
            # reads nothing before kms:VerifyMac accepts the token.
            reason = (
                f"Authorized by the signed token in the request ({spec.name}: {spec.description}): RFC 8058 mail "
                "clients POST with no sign-in. The handler checks the token's HMAC with KMS (kms:VerifyMac) first."
            )
            acknowledge(method, "APIG4", reason)
            acknowledge(method, "COG4", reason)
        return method

    def _authorizer(self, route: Route) -> apigw.IAuthorizer | None:
        if not route.signed_in:  # public, or signed: the function checks the request's own token
            return None
        return self.customer_authorizer if route.customer else self.staff_authorizer

    def _gateway_response(self, kind: str, body: str, status: str | None) -> None:
        self.rest_api.add_gateway_response(
            kind.title().replace("_", ""),
            type=apigw.ResponseType.of(kind),
            status_code=status,
            response_headers={"Content-Type": f"'{JSON}'"},
            templates={JSON: vtl_literal(body)},
        )

    def _acknowledge(self) -> None:
        acknowledge(
            self.rest_api,
            "APIG2",
            "Parameters are validated at the gateway (a RequestValidator on every method); bodies are validated "
            "by the handlers' pydantic models, locally and on AWS alike, which answer 422 field by field. A gateway "
            "model would duplicate that schema and answer 400 without field problems.",
        )
        role = self.rest_api.node.find_child("CloudWatchRole")
        acknowledge(
            role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "AWS's service-role policy for API Gateway's account-wide logging role: API Gateway creates and names "
            "the execution log groups itself, so they cannot be listed in a customer-managed policy in advance.",
        )
