"""The committed OpenAPI document is what the code generates: the API cannot drift silently."""

import json

from cis_local import openapi


def test_committed_openapi_document_matches_the_code():
    committed = openapi.SPEC_PATH.read_text(encoding="utf-8")
    assert committed == openapi.generate(), "run `.venv/bin/cis openapi` and commit functions/api_docs/openapi.json"


def test_openapi_document_has_exactly_the_declared_routes_with_their_operation_ids():
    spec = json.loads(openapi.generate())
    documented = {
        (method.upper(), path, op["operationId"]) for path, ops in spec["paths"].items() for method, op in ops.items()
    }
    declared = {(r.method, r.path, r.operation_id) for f in openapi.api_functions() for r in f.routes}
    assert documented == declared
    schemes = spec["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"], s["bearerFormat"]) for name, s in schemes.items()} == {
        "bearer": ("http", "bearer", "JWT"),
        "customerBearer": ("http", "bearer", "JWT"),
    }
    assert spec["security"] == [{"bearer": []}]


def test_customer_routes_take_the_customer_pools_token_under_their_own_tag():
    spec = json.loads(openapi.generate())
    for function in openapi.api_functions():
        for route in function.routes:
            operation = spec["paths"][route.path][route.method.lower()]
            if route.customer:
                assert operation["security"] == [{"customerBearer": []}], route.path
                assert operation["tags"] == ["me"], route.path
            else:
                assert "customerBearer" not in json.dumps(operation.get("security", [])), route.path


def test_every_documented_error_uses_the_common_error_shape():
    spec = json.loads(openapi.generate())
    for ops in spec["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/ErrorResponse"
                    }
