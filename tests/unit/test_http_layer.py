"""The API's gate, error shape and headers, on plain events (no AWS)."""

import base64
import json
import logging

import pytest
from cis.api import http
from cis.api.auth import parse_groups
from cis.api.errors import validation_problems
from cis.api.links import links
from cis.errors import InvalidRequest
from cis.topology import FUNCTIONS, Role, find_route


def event(method="GET", resource="/v1/customers", groups="support", body=None, content_type="application/json"):
    claims = {"sub": "u-1", "cognito:groups": groups} if groups is not None else None
    return {
        "httpMethod": method,
        "resource": resource,
        "headers": {"content-type": content_type} if content_type else {},
        "requestContext": {"authorizer": {"claims": claims}} if claims else {},
        "body": body,
    }


def refusal(evt) -> tuple[int, dict] | None:
    response = http.gate(evt)
    return None if response is None else (response.status_code, json.loads(response.body)["error"])


def test_request_without_claims_is_401():
    assert refusal(event(groups=None))[0] == 401


def test_role_not_listed_on_the_route_is_403_and_says_which_roles_may():
    status, error = refusal(event("DELETE", "/v1/customers/{customer_id}", groups="marketing"))
    assert status == 403
    assert "admin, sales, support" in error["message"]


def test_public_docs_need_no_token():
    assert refusal(event("GET", "/docs", groups=None)) is None


def test_a_signed_route_needs_no_sign_in_and_takes_a_form_there_only():
    form = "application/x-www-form-urlencoded"
    one_click = "List-Unsubscribe=One-Click"
    assert refusal(event("GET", "/v1/unsubscribe", groups=None)) is None  # the handler checks the link's token
    assert refusal(event("POST", "/v1/unsubscribe", groups=None, body=one_click, content_type=form)) is None
    assert refusal(event("POST", "/v1/unsubscribe", groups=None, body="{}"))[1]["code"] == "unsupported_media_type"
    # Nowhere else: a staff route's form is refused as ever.
    assert refusal(event("POST", "/v1/customers", body=one_click, content_type=form))[0] == 415


def test_oversized_body_is_413_before_parsing():
    assert refusal(event("POST", body="x" * (64 * 1024 + 1)))[0] == 413


def test_non_json_body_is_415():
    assert refusal(event("POST", body="a=b", content_type="application/x-www-form-urlencoded"))[0] == 415


def test_a_body_that_is_not_utf8_is_a_400_naming_the_body_not_a_500():
    evt = event("POST", body=base64.b64encode(b"\x00\xff{").decode()) | {"isBase64Encoded": True}
    status, error = refusal(evt)
    assert status == 400 and error["fields"] == [{"path": "body", "problem": "not UTF-8"}]


@pytest.mark.parametrize("depth", [65, 5_000, 30_000])
def test_json_nested_past_the_limit_is_a_400_before_any_parser_can_overflow(depth):
    status, error = refusal(event("POST", body='{"given_name":' + "[" * depth + "]" * depth + "}"))
    assert status == 400 and error["code"] == "body_too_deep"


def test_json_nested_up_to_the_limit_and_brackets_inside_strings_pass_the_gate():
    assert refusal(event("POST", body='{"a":' + "[" * 63 + "]" * 63 + "}")) is None
    assert refusal(event("POST", body='{"note": "' + "[" * 500 + '"}')) is None


def test_a_base64_body_that_is_utf8_json_reaches_the_routes_as_text():
    evt = event("POST", body=base64.b64encode('{"given_name": "Zoë"}'.encode()).decode()) | {"isBase64Encoded": True}
    assert refusal(evt) is None
    assert evt["body"] == '{"given_name": "Zoë"}' and evt["isBase64Encoded"] is False


def test_a_create_links_its_new_id_to_every_route_under_it_and_leaves_other_parameters_open():
    create = find_route("POST", "/v1/customers")
    found = links(create, 201, {"id", "display_name"})
    assert found["getCustomer"]["parameters"] == {"customer_id": "$response.body#/id"}
    assert found["addTag"]["parameters"] == {"customer_id": "$response.body#/id"}  # the tag is the client's
    under = {r.operation_id for f in FUNCTIONS for r in f.routes if r.path.startswith("/v1/customers/{customer_id}")}
    assert set(found) == under


def test_a_response_naming_another_resource_links_to_it_but_not_to_itself():
    merge = find_route("POST", "/v1/customers/{customer_id}/merge")
    assert set(links(merge, 200, {"merge_id", "survivor_id"})) == {"getMerge", "undoMerge"}
    assert links(find_route("GET", "/v1/merges/{merge_id}"), 200, {"merge_id"}) == {}


def test_merge_patch_content_type_is_accepted_as_json():
    evt = event("PATCH", "/v1/customers/{customer_id}", body="{}", content_type="application/merge-patch+json")
    assert refusal(evt) is None
    assert evt["headers"]["Content-Type"] == "application/json"


def test_every_declared_route_names_roles_or_is_explicitly_public():
    for function in FUNCTIONS:
        for route in function.routes:
            assert route.public == (function.name == "api_docs"), route
            assert route.signed == (function.name == "unsubscribe_api"), route  # its links' own token
            assert route.signed_in == (not route.public and not route.signed), route


@pytest.mark.parametrize(
    ("raw", "roles"),
    [
        ("support", {Role.SUPPORT}),
        ("admin,sales", {Role.ADMIN, Role.SALES}),
        ("[admin sales]", {Role.ADMIN, Role.SALES}),
        ("unknown,support", {Role.SUPPORT}),
        ("", set()),
        (None, set()),
    ],
)
def test_cognito_groups_claim_is_parsed_in_either_gateway_format(raw, roles):
    assert parse_groups(raw) == roles


@pytest.mark.parametrize(("header", "version"), [('"3"', 3), ('W/"12"', 12), ("7", 7), (None, None), ("*", None)])
def test_if_match_accepts_etags_in_common_forms(header, version):
    assert http.expected_version(header) == version


def test_if_match_that_is_not_a_version_is_a_400_naming_the_header():
    with pytest.raises(InvalidRequest) as caught:
        http.expected_version('"abc"')
    assert caught.value.fields[0].path == "If-Match"


def test_validation_errors_become_field_paths_a_person_can_read():
    status, code, message, fields = validation_problems(
        [
            {"type": "value_error", "loc": ("body", "emails", 0, "address"), "msg": "Value error, bad address"},
            {"type": "extra_forbidden", "loc": ("body", "version"), "msg": "Extra inputs are not permitted"},
            {"type": "extra_forbidden", "loc": ("body", "colour"), "msg": "Extra inputs are not permitted"},
        ]
    )
    assert (status, code) == (422, "validation_failed")
    assert [(f.path, f.problem) for f in fields] == [
        ("emails[0].address", "bad address"),
        ("version", "read-only: set by the server"),
        ("colour", "unknown field"),
    ]
    assert message.startswith("emails[0].address: bad address")


def test_malformed_json_is_a_400():
    status, code, _, _ = validation_problems([{"type": "json_invalid", "loc": ("body", 3), "ctx": {"error": "x"}}])
    assert (status, code) == (400, "malformed_json")


def test_an_unexpected_error_is_a_500_in_the_common_shape_and_its_message_is_not_logged(caplog):
    app = http.create_resolver()

    @app.get("/v1/customers")
    def explode():
        # Request data in an exception message: what must not reach the logs.
        raise RuntimeError(f"lookup of {app.current_event.get_query_string_value('email')} failed")

    query = {"email": "ada.lovelace@example.com"}
    evt = event() | {"path": "/v1/customers", "queryStringParameters": query, "multiValueHeaders": {}}
    with caplog.at_level(logging.ERROR):
        response = http.handle(app, evt, None)
    assert response["statusCode"] == 500
    assert json.loads(response["body"])["error"]["code"] == "internal_error"
    (record,) = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert record.error_type == "RuntimeError" and "explode" in record.stack
    assert "ada.lovelace@example.com" not in json.dumps({k: str(v) for k, v in vars(record).items()})


def test_docs_point_try_it_out_at_the_stage_the_page_was_served_from():
    from cis_local.functions import function_named, load_handler

    docs = load_handler(function_named("api_docs"))
    evt = event("GET", "/v1/openapi.json", groups=None) | {
        "path": "/v1/openapi.json",
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "requestContext": {"path": "/prod/v1/openapi.json", "stage": "prod"},
    }
    assert json.loads(docs.handler(evt, LambdaContextStub())["body"])["servers"] == [{"url": "/prod"}]


class LambdaContextStub:
    function_name, memory_limit_in_mb, aws_request_id = "api_docs", 256, "req-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:api_docs"


def test_every_route_admits_exactly_its_declared_roles():
    # Generated from the topology: a new route is in this matrix the moment it is declared.
    for function in FUNCTIONS:
        for route in function.routes:
            for role in Role:
                refused = http.gate(event(route.method, route.path, groups=str(role)))
                allowed = not route.signed_in or role in route.roles
                assert (refused is None) is allowed, (route.method, route.path, role)
                if not allowed:
                    assert refused.status_code == 403


def cache_control(response: dict) -> str | None:
    headers = (response.get("headers") or {}) | {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    return headers.get("Cache-Control")


def test_every_answer_of_a_route_that_takes_a_token_is_never_stored_by_a_cache():
    app = http.create_resolver()

    @app.get("/v1/customers")
    def listing():
        return {"items": [{"given_name": "Ada"}]}

    read = event() | {"path": "/v1/customers", "multiValueHeaders": {}}
    assert cache_control(http.handle(app, read, None)) == "no-store"  # a page of customers
    assert cache_control(http.handle(app, event(groups=None), None)) == "no-store"  # the gate's 401
    unknown = event("GET", "/v1/nowhere") | {"path": "/v1/nowhere", "multiValueHeaders": {}}
    assert cache_control(http.handle(app, unknown, None)) == "no-store"  # the resolver's 404


def test_the_public_openapi_document_stays_cacheable():
    from cis_local.functions import function_named, load_handler

    docs = load_handler(function_named("api_docs"))
    evt = event("GET", "/v1/openapi.json", groups=None) | {
        "path": "/v1/openapi.json",
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "requestContext": {"path": "/v1/openapi.json", "stage": "prod"},
    }
    response = docs.handler(evt, LambdaContextStub())
    assert response["statusCode"] == 200 and cache_control(response) is None
