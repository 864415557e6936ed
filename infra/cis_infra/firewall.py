"""Abuse limits in front of the API: a WAFv2 web ACL on the stage, with two rate-based rules.

- Per customer: requests to the customer routes (`Route.customer`, under `topology.ME`) counted per
  Authorization header, that is per signed-in token, over five minutes (context `customerRateLimit`).
  A request without the header is not counted here: the gateway answers it 401, and the rule below counts it.
- Per client IP address, on every route (context `ipRateLimit`): scripts without a token, and many tokens
  from one place.

Over a limit, WAF answers 429 in the API's error shape until the address or token falls back under it.
API Gateway usage plans would need API keys in every client; WAF keys on what the request carries.

AWS's managed common rule set is not added: it blocks request bodies over 8 KB (an import's chunk of CSV
rows is larger) and its cross-site-scripting and path-traversal body rules match free text such as a
ticket's or a note's, which the handlers store as data and never render.

    cdk synth -c customerRateLimit=600 -c ipRateLimit=5000   # requests per five minutes
"""

from __future__ import annotations

import re

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_wafv2 as wafv2
from cis import topology
from cis.api.errors import error_body
from constructs import Construct

from cis_infra.api import STAGE

CUSTOMER_RATE_CONTEXT = "customerRateLimit"
IP_RATE_CONTEXT = "ipRateLimit"
CUSTOMER_RATE_LIMIT = 300  # a customer's app: one request a second, on average, over five minutes
IP_RATE_LIMIT = 3000  # an office of staff behind one address: ten a second
WINDOW_S = 300
MINIMUM_LIMIT = 10  # WAF's smallest rate limit
RATE_LIMITED = "rate_limited"  # the custom response body's key
RATE_LIMITED_BODY = error_body("throttled", "too many requests: slow down and retry in a few minutes")


def rate_limit(scope: Construct, key: str, default: int) -> int:
    value = scope.node.try_get_context(key)
    if value is None:
        return default
    if isinstance(value, str) and value.isdigit():  # -c key=600 gives text
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not MINIMUM_LIMIT <= value <= 2_000_000_000:
        raise ValueError(f"context {key} must be requests per five minutes, {MINIMUM_LIMIT} or more, got {value!r}")
    return value


def customer_path_pattern(stage: str) -> str:
    """A regular expression for the customer routes' URI paths, as WAF sees them: /v1/me and what is under it
    (not /v1/merges), after the stage name on the execute-api URL, or without it behind a custom domain."""
    prefix = topology.ME
    customer_paths = [route.path for spec in topology.FUNCTIONS for route in spec.routes if route.customer]
    if not customer_paths:
        raise ValueError("the topology declares no customer route: there is nothing for a per-customer limit")
    if stray := [path for path in customer_paths if path != prefix and not path.startswith(f"{prefix}/")]:
        raise ValueError(f"customer routes outside {prefix}, which the per-customer rate limit covers: {stray}")
    return f"^(/{re.escape(stage)})?{re.escape(prefix)}(/|$)"


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    # No sampled requests: WAF would keep whole requests for the console, Authorization headers included.
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=False
    )


def _block() -> wafv2.CfnWebACL.RuleActionProperty:
    return wafv2.CfnWebACL.RuleActionProperty(
        block=wafv2.CfnWebACL.BlockActionProperty(
            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                response_code=429, custom_response_body_key=RATE_LIMITED
            )
        )
    )


class ApiFirewall(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: apigw.Stage) -> None:
        super().__init__(scope, construct_id)
        per_customer = rate_limit(self, CUSTOMER_RATE_CONTEXT, CUSTOMER_RATE_LIMIT)
        per_ip = rate_limit(self, IP_RATE_CONTEXT, IP_RATE_LIMIT)
        stack = Stack.of(self).stack_name

        customer_rule = wafv2.CfnWebACL.RuleProperty(
            name="PerCustomerRate",
            priority=0,
            action=_block(),
            visibility_config=_visibility(f"{stack}-per-customer"),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=per_customer,
                    evaluation_window_sec=WINDOW_S,
                    aggregate_key_type="CUSTOM_KEYS",
                    # The token as sent: WAF cannot read the JWT's sub, so a customer is each of their tokens.
                    custom_keys=[
                        wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                            header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                                name="authorization",
                                text_transformations=[
                                    wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                                ],
                            )
                        )
                    ],
                    scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                        regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                            regex_string=customer_path_pattern(STAGE),
                            # /v1/%6De or /v1//me must not slip past the count.
                            text_transformations=[
                                wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="URL_DECODE"),
                                wafv2.CfnWebACL.TextTransformationProperty(priority=1, type="NORMALIZE_PATH"),
                            ],
                        )
                    ),
                )
            ),
        )
        ip_rule = wafv2.CfnWebACL.RuleProperty(
            name="PerIpRate",
            priority=1,
            action=_block(),
            visibility_config=_visibility(f"{stack}-per-ip"),
            statement=wafv2.CfnWebACL.StatementProperty(
                rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                    limit=per_ip, evaluation_window_sec=WINDOW_S, aggregate_key_type="IP"
                )
            ),
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            description="CIS API: per-customer and per-address rate limits",
            rules=[customer_rule, ip_rule],
            custom_response_bodies={
                RATE_LIMITED: wafv2.CfnWebACL.CustomResponseBodyProperty(
                    content_type="APPLICATION_JSON", content=RATE_LIMITED_BODY
                )
            },
            visibility_config=_visibility(f"{stack}-api"),
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "StageAssociation", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
