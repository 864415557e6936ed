"""One place to add a route: a declaration in the topology reaches the resolver, the OpenAPI
document, the local gateway and the synthesized API Gateway, with nothing typed twice."""

import json
import sys

import pytest
from cis import topology
from cis.api import http
from cis.api.operations import operation
from cis.topology import ALL_STAFF, CUSTOMERS_API, Route
from cis_local import openapi
from cis_local.functions import load_handler
from cis_local.gateway import Gateway
from pydantic import BaseModel

pytestmark = pytest.mark.slow

THROWAWAY = Route(
    "GET",
    "/v1/customers/{customer_id}/throwaway",
    ALL_STAFF,
    "A route declared only for this test",
    "getThrowaway",
    200,
    (404,),
    ("ETag",),
    tag="throwaway",
)
CUSTOMER_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


class Throwaway(BaseModel):
    customer_id: str


@pytest.fixture
def declared(monkeypatch):
    """THROWAWAY added to the customers API's routes in the topology, and nowhere else."""
    extended = CUSTOMERS_API._replace(routes=(*CUSTOMERS_API.routes, THROWAWAY))
    functions = tuple(extended if f.name == CUSTOMERS_API.name else f for f in topology.FUNCTIONS)
    monkeypatch.setattr(topology, "FUNCTIONS", functions)
    # A fresh copy of the customers API's handler module, as a new deployment would import it.
    name = f"cis_function_{CUSTOMERS_API.name}"
    monkeypatch.delitem(sys.modules, name, raising=False)
    module = load_handler(extended)

    @operation(module.app, "getThrowaway")
    def get_throwaway(customer_id: http.CustomerId) -> Throwaway:
        return Throwaway(customer_id=customer_id)

    yield
    # The copy with the throwaway route goes with the test (monkeypatch then restores any earlier one).
    del sys.modules[name]


def test_a_declared_route_is_served_by_the_resolver(declared):
    module = load_handler(CUSTOMERS_API)
    event = {
        "resource": THROWAWAY.path,
        "path": f"/v1/customers/{CUSTOMER_ID}/throwaway",
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "pathParameters": {"customer_id": CUSTOMER_ID},
        "requestContext": {"authorizer": {"claims": {"sub": "s-1", "cognito:groups": "support"}}},
    }
    response = http.handle(module.app, event, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"customer_id": CUSTOMER_ID}


def test_a_declared_route_is_in_the_openapi_document_with_everything_it_declares(declared):
    document = json.loads(openapi.generate())
    operation = document["paths"][THROWAWAY.path]["get"]
    assert operation["operationId"] == "getThrowaway"
    assert operation["summary"] == THROWAWAY.summary
    assert operation["tags"] == ["throwaway"]
    assert "ETag" in operation["responses"]["200"]["headers"]
    assert {"200", "401", "403", "404", "410", "503"} <= set(operation["responses"])
    assert "413" not in operation["responses"]  # no body is taken


def test_a_declared_route_is_served_by_the_local_gateway(declared):
    gateway = Gateway(containers_per_function=1)  # containers start on the first request only
    binding, params = gateway.match("GET", f"/v1/customers/{CUSTOMER_ID}/throwaway")
    assert binding.route == THROWAWAY and binding.function.name == CUSTOMERS_API.name
    assert params == {"customer_id": CUSTOMER_ID}


def test_a_declared_route_is_an_api_gateway_method_behind_the_authorizer(declared, tmp_path):
    from cis_infra.build import STACK_NAME, build_app

    try:
        build_app(outdir=str(tmp_path)).synth()
    except RuntimeError as raised:  # a validation finding: the template is written before the plugins run
        if "ValidationFailed" not in str(raised):
            raise
    template = json.loads((tmp_path / f"{STACK_NAME}.template.json").read_text(encoding="utf-8"))
    methods = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"].get("OperationName") == "getThrowaway"
    ]
    assert len(methods) == 1
    (method,) = methods
    assert method["HttpMethod"] == "GET" and method["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert method["RequestParameters"] == {"method.request.path.customer_id": True}
