"""Customers as callers: their own user pool and app clients, the sign-up trigger, the issuers the handlers
tell the pools apart by, and the per-customer rate limit in front of their routes."""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import App
from cis.topology import FUNCTIONS
from cis_infra.customer_auth import app_urls, domain_prefix, trigger_operation
from cis_infra.firewall import customer_path_pattern, rate_limit

from .conftest import Synthesized, alias_ids, function_ids, references
from .test_stack import arn, user_pools

pytestmark = pytest.mark.slow

ROUTES = [(spec, route) for spec in FUNCTIONS for route in spec.routes]
CUSTOMER_PATHS = [route.path for _, route in ROUTES if route.customer]
OTHER_PATHS = [route.path for _, route in ROUTES if not route.customer]
TRIGGERS = [spec for spec in FUNCTIONS if spec.cognito_triggers]


def customer_clients(stack: Synthesized) -> dict[str, dict]:
    _, customer_pool = user_pools(stack)
    clients = stack.properties("AWS::Cognito::UserPoolClient")
    return {name: client for name, client in clients.items() if client["UserPoolId"] == {"Ref": customer_pool}}


def concrete(path: str) -> str:
    """/v1/me/orders/{order_id} -> /v1/me/orders/x: a path a request would carry."""
    return re.sub(r"{\w+\+?}", "x", path)


def test_customers_sign_themselves_up_in_a_pool_of_their_own(synthesized):
    staff_pool, customer_pool = user_pools(synthesized)
    assert staff_pool != customer_pool
    resource = synthesized.template["Resources"][customer_pool]
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    pool = resource["Properties"]
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": False}  # self sign-up
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}
    assert pool["AutoVerifiedAttributes"] == ["email"]
    # An unverified new email never replaces the verified one.
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}
    schema = {attribute["Name"]: attribute for attribute in pool["Schema"]}
    assert schema["email"]["Required"] is True and schema["phone_number"]["Required"] is False
    assert (pool["MfaConfiguration"], pool["EnabledMfas"]) == ("OPTIONAL", ["SOFTWARE_TOKEN_MFA"])
    assert "SmsConfiguration" not in pool  # no SMS role: TOTP only
    assert pool["AccountRecoverySetting"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    assert (pool["UserPoolTier"], pool["UserPoolAddOns"]) == ("PLUS", {"AdvancedSecurityMode": "ENFORCED"})
    assert pool["DeletionProtection"] == "ACTIVE"
    password = pool["Policies"]["PasswordPolicy"]
    assert password["MinimumLength"] >= 12
    assert all(password[f"Require{kind}"] for kind in ("Lowercase", "Uppercase", "Numbers", "Symbols"))


def test_the_web_and_mobile_clients_are_public_and_use_the_code_grant_only(synthesized):
    clients = customer_clients(synthesized)
    assert sorted(client["ClientName"] for client in clients.values()) == ["cis-customers-mobile", "cis-customers-web"]
    urls = app_urls(App())
    for client in clients.values():
        assert client["GenerateSecret"] is False
        assert client["AllowedOAuthFlowsUserPoolClient"] is True
        assert client["AllowedOAuthFlows"] == ["code"]  # no implicit grant, no client credentials
        assert client["AllowedOAuthScopes"] == ["openid", "email", "profile", "phone"]
        assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]  # sign-in through the hosted UI only
        assert client["SupportedIdentityProviders"] == ["COGNITO"]
        assert client["PreventUserExistenceErrors"] == "ENABLED"
        assert client["EnableTokenRevocation"] is True
        assert client["TokenValidityUnits"]["AccessToken"] == client["TokenValidityUnits"]["IdToken"] == "minutes"
        assert client["AccessTokenValidity"] <= 60 and client["IdTokenValidity"] <= 60
        kind = client["ClientName"].removeprefix("cis-customers-")
        assert (client["CallbackURLs"], client["LogoutURLs"]) == tuple(
            urls[kind]
        )  # cdk.json's defaults (tests: code's)


def test_the_hosted_ui_domain_is_the_customer_pools_and_an_output(synthesized):
    _, customer_pool = user_pools(synthesized)
    (domain_id, domain) = synthesized.only("AWS::Cognito::UserPoolDomain")
    assert domain["UserPoolId"] == {"Ref": customer_pool}
    assert domain["Domain"] == {"Fn::Join": ["-", ["cis-customers", {"Ref": "AWS::AccountId"}]]}
    outputs = synthesized.template["Outputs"]
    assert domain_id in references(outputs["CustomerSignInUrl"]["Value"])
    assert outputs["CustomerUserPoolId"]["Value"] == {"Ref": customer_pool}
    assert {outputs[name]["Value"]["Ref"] for name in ("CustomerWebClientId", "CustomerMobileClientId")} == set(
        customer_clients(synthesized)
    )


def test_each_cognito_trigger_of_the_topology_invokes_its_functions_alias(synthesized):
    assert [spec.name for spec in TRIGGERS] == ["customer_signup"]
    staff_pool, customer_pool = user_pools(synthesized)
    aliases = alias_ids(synthesized)
    pools = synthesized.properties("AWS::Cognito::UserPool")
    assert "LambdaConfig" not in pools[staff_pool]
    assert pools[customer_pool]["LambdaConfig"] == {
        trigger.title().replace("_", ""): {"Ref": aliases[spec.name]}
        for spec in TRIGGERS
        for trigger in spec.cognito_triggers
    }
    signup = {"Ref": aliases["customer_signup"]}
    assert pools[customer_pool]["LambdaConfig"]["PostConfirmation"] == signup
    assert pools[customer_pool]["LambdaConfig"]["PostAuthentication"] == signup  # repairs a failed link
    permissions = synthesized.properties("AWS::Lambda::Permission").values()
    from_cognito = [p for p in permissions if p["Principal"] == "cognito-idp.amazonaws.com"]
    assert [(p["FunctionName"], p["SourceArn"]) for p in from_cognito] == [
        ({"Ref": aliases[spec.name]}, arn(customer_pool)) for spec in TRIGGERS for _ in spec.cognito_triggers
    ]


def test_api_functions_know_both_pools_issuers(synthesized):
    staff_pool, customer_pool = user_pools(synthesized)
    ids = function_ids(synthesized)

    def issuer(pool: str) -> dict:
        return {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [pool, "ProviderURL"]}]]}

    for spec in FUNCTIONS:
        environment = synthesized.template["Resources"][ids[spec.name]]["Properties"]["Environment"]["Variables"]
        if spec.routes:
            assert environment["CIS_STAFF_ISSUER"] == issuer(staff_pool), spec.name
            assert environment["CIS_CUSTOMER_ISSUER"] == issuer(customer_pool), spec.name
        else:  # a trigger could not take its own pool's (the pool names the trigger): no function without routes does
            assert not {"CIS_STAFF_ISSUER", "CIS_CUSTOMER_ISSUER"} & set(environment), spec.name


def web_acl(stack: Synthesized) -> tuple[str, dict]:
    return stack.only("AWS::WAFv2::WebACL")


def test_a_regional_web_acl_is_associated_with_the_stage(synthesized):
    acl_id, acl = web_acl(synthesized)
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (_, association) = synthesized.only("AWS::WAFv2::WebACLAssociation")
    (stage_id, _) = synthesized.only("AWS::ApiGateway::Stage")
    (api_id, _) = synthesized.only("AWS::ApiGateway::RestApi")
    assert association["WebACLArn"] == arn(acl_id)
    assert {stage_id, api_id} <= references(association["ResourceArn"])
    assert "/stages/" in json.dumps(association["ResourceArn"])


def test_customer_routes_are_rate_limited_per_token(synthesized):
    _, acl = web_acl(synthesized)
    (rule,) = [r for r in acl["Rules"] if r["Statement"]["RateBasedStatement"].get("AggregateKeyType") == "CUSTOM_KEYS"]
    statement = rule["Statement"]["RateBasedStatement"]
    assert (statement["Limit"], statement["EvaluationWindowSec"]) == (300, 300)  # the default: cdk.json's in a deploy
    (key,) = statement["CustomKeys"]
    assert key["Header"]["Name"].lower() == "authorization"
    scope_down = statement["ScopeDownStatement"]["RegexMatchStatement"]
    assert scope_down["FieldToMatch"] == {"UriPath": {}}
    pattern = re.compile(scope_down["RegexString"])
    assert CUSTOMER_PATHS and OTHER_PATHS  # otherwise this test proves less than it says
    for path in CUSTOMER_PATHS:
        assert path.startswith("/v1/me")
        assert pattern.search(concrete(path)) and pattern.search(f"/prod{concrete(path)}"), path  # custom domain or not
    for path in OTHER_PATHS:  # /v1/merges/... starts with /v1/me too: not a customer route
        assert not pattern.search(concrete(path)) and not pattern.search(f"/prod{concrete(path)}"), path
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429


def test_every_route_is_rate_limited_per_address_and_the_limit_answers_in_the_error_shape(synthesized):
    _, acl = web_acl(synthesized)
    (rule,) = [r for r in acl["Rules"] if r["Statement"]["RateBasedStatement"].get("AggregateKeyType") == "IP"]
    assert "ScopeDownStatement" not in rule["Statement"]["RateBasedStatement"]
    for rule in acl["Rules"]:
        response = rule["Action"]["Block"]["CustomResponse"]
        body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
        assert response["ResponseCode"] == 429 and body["ContentType"] == "APPLICATION_JSON"
        assert json.loads(body["Content"])["error"]["code"] == "throttled"  # as API Gateway's own 429
        assert rule["VisibilityConfig"]["SampledRequestsEnabled"] is False  # samples would keep the tokens


def test_the_stage_is_no_longer_acknowledged_as_without_a_web_acl(synthesized):
    report = json.loads((synthesized.outdir / "validation-report.json").read_text(encoding="utf-8"))
    acknowledged = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin.get("suppressedViolations", [])}
    assert "AwsSolutions-APIG3" not in acknowledged


# Context, read and checked before anything is built.


def test_redirect_urls_are_checked_context_values():
    urls = app_urls(App(context={"customerWebCallbackUrls": '["https://app.example/cb"]'}))
    assert urls["web"].callbacks == ["https://app.example/cb"]
    assert urls["mobile"].callbacks == ["cis://auth/callback"]
    with pytest.raises(ValueError, match="customerWebCallbackUrls"):
        app_urls(App(context={"customerWebCallbackUrls": ["http://app.example/cb"]}))  # http off localhost
    with pytest.raises(ValueError, match="customerWebLogoutUrls"):
        app_urls(App(context={"customerWebLogoutUrls": ["cis://signout"]}))  # an app scheme is the mobile app's
    with pytest.raises(ValueError, match="customerMobileCallbackUrls"):
        app_urls(App(context={"customerMobileCallbackUrls": ["cis://auth/callback#x"]}))
    with pytest.raises(ValueError, match="customerMobileLogoutUrls"):
        app_urls(App(context={"customerMobileLogoutUrls": []}))


def test_the_hosted_ui_prefix_is_a_checked_context_value():
    assert domain_prefix(App(context={"customerAuthDomainPrefix": "gym-customers"})) == "gym-customers"
    for wrong in ("Gym", "my-cognito", "-gym", "a" * 64):
        with pytest.raises(ValueError, match="customerAuthDomainPrefix"):
            domain_prefix(App(context={"customerAuthDomainPrefix": wrong}))


def test_rate_limits_are_checked_context_values():
    assert rate_limit(App(context={"customerRateLimit": "600"}), "customerRateLimit", 300) == 600
    assert rate_limit(App(), "customerRateLimit", 300) == 300
    for wrong in (0, 9, True, "lots", 2.5):
        with pytest.raises(ValueError, match="customerRateLimit"):
            rate_limit(App(context={"customerRateLimit": wrong}), "customerRateLimit", 300)


def test_the_customer_path_pattern_and_trigger_names_are_checked():
    assert customer_path_pattern("prod") == r"^(/prod)?/v1/me(/|$)"
    with pytest.raises(ValueError, match="pre_sign_in"):
        trigger_operation("pre_sign_in")
    with pytest.raises(ValueError, match="POST_CONFIRMATION"):
        trigger_operation("POST_CONFIRMATION")
