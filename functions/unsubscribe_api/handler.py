"""One-click unsubscribe (RFC 8058): no sign-in; the signed token in the link is the authority.

GET shows the person what the link withdraws, with a button; it never withdraws anything itself, since
mail scanners open links. POST (the mail client's one-click, or that button) withdraws it."""

from html import escape
from typing import Annotated
from urllib.parse import parse_qs, quote

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from cis.api import http
from cis.api.operations import operation
from cis.config import settings
from cis.domain.unsubscribe import ONE_CLICK, WITHDRAWS
from cis.errors import FieldProblem, InvalidRequest
from cis.repository.factory import consent_repository, customer_repository, dynamodb_client, link_key
from cis.service.unsubscribe import Links, Unsubscribe

# X-Ray patches botocore only: its every-library default imports and patches requests, httpx, sqlite3...
logger, tracer, metrics = Logger(), Tracer(patch_modules=["botocore"]), Metrics()
client = dynamodb_client()


def records():
    """The customers and their consents: at the first withdrawal (the page checks the link only)."""
    from cis.service.consents import ConsentService
    from cis.service.customers import CustomerService

    return CustomerService(customer_repository(client)), ConsentService(consent_repository(client))


unsubscribe = Unsubscribe(Links(link_key(), settings.public_api_url), records)
app = http.create_resolver()
Token = Annotated[str, Query(min_length=1, max_length=512, description="The signed token the link carries")]
HTML = "text/html; charset=utf-8"


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title></head>'
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


@operation(app, "getUnsubscribePage")
def unsubscribe_page(token: Token) -> Response[str]:
    link = unsubscribe.links.read(token)  # a bad link is refused here already, before anyone clicks
    what = WITHDRAWS[link.purpose]
    form = (
        f"<p>Stop {escape(what)} by email? You can allow them again any time in the app.</p>"
        f'<form method="post" action="?token={escape(quote(token, safe=""))}">'
        f'<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">Unsubscribe from {escape(what)}</button></form>'
    )
    return Response(200, HTML, _page("Unsubscribe", form))


@operation(app, "unsubscribe")
def unsubscribe_now(token: Token) -> Response[str]:
    form = parse_qs(app.current_event.body or "", keep_blank_values=True)
    if form.get("List-Unsubscribe") != ["One-Click"]:
        raise InvalidRequest(f"send the form body {ONE_CLICK} (RFC 8058)", [FieldProblem("body", f"not {ONE_CLICK}")])
    done = unsubscribe.withdraw(token)
    metrics.add_metric(name=f"Unsubscribe_{done.outcome}", unit=MetricUnit.Count, value=1)
    # The purpose and outcome only: the customer id stays out of the logs of a route anyone may call.
    logger.info("unsubscribe", extra={"purpose": done.link.purpose, "outcome": done.outcome})
    # The same answer whatever the outcome: the link tells its holder nothing about the record behind it.
    what = WITHDRAWS[done.link.purpose]
    return Response(200, HTML, _page("Unsubscribed", f"<p>You will not get {escape(what)} by email from us.</p>"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event, context):
    return http.handle(app, event, context)
