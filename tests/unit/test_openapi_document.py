"""The committed OpenAPI document is what the code generates: the API cannot drift silently."""

from cis_local import openapi


def test_committed_openapi_document_matches_the_code():
    committed = openapi.SPEC_PATH.read_text(encoding="utf-8")
    assert committed == openapi.generate(), "run `.venv/bin/cis openapi` and commit functions/api_docs/openapi.json"


def test_openapi_document_describes_every_customer_route_and_the_token_scheme():
    import json

    spec = json.loads(openapi.generate())
    assert set(spec["paths"]) == {"/v1/customers", "/v1/customers/{customer_id}"}
    assert set(spec["paths"]["/v1/customers/{customer_id}"]) == {"get", "patch", "delete"}
    assert spec["components"]["securitySchemes"]["cognito"]["name"] == "Authorization"
