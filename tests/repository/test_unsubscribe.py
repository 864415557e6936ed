"""One-click unsubscribe on moto: the real notifier sends a reminder whose email carries RFC 8058's headers
and a link signed by the KMS HMAC key; the real unsubscribe handler shows a page on GET (withdrawing
nothing) and withdraws on POST, once, for the address the link went to only."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from cis.domain.consent import ConsentIn
from cis.domain.customer import CustomerPatch
from cis.domain.notifications import ReplyDue
from cis.repository.factory import consent_repository
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService
from cis.topology import UNSUBSCRIBE_API
from cis_local.functions import load_handler
from cis_local.gateway import Gateway, LambdaContext

from tests.repository.conftest import drain, sent_emails
from tests.repository.test_notifier_failures import reminder_due_today

FORM = "application/x-www-form-urlencoded"


def call(method: str, url: str, body: str = "", content_type: str = FORM) -> dict:
    """The unsubscribe function's answer to a request, as API Gateway would hand it the request."""
    gateway = Gateway()
    split = urlsplit(url)
    binding, params = gateway.match(method, split.path)
    headers = {"Content-Type": [content_type]} if body else {}
    event = gateway.event(binding, method, f"{split.path}?{split.query}", headers, body.encode(), params, None)
    return load_handler(UNSUBSCRIBE_API).handler(event, LambdaContext(UNSUBSCRIBE_API))


@pytest.fixture
def reminded(dynamodb, repository, notifier_queue):
    """Ada, who agreed to reminders by email, and the reminder the notifier sent her."""
    customer, _ = reminder_due_today(dynamodb, repository, "email")
    _, driver, _, _ = notifier_queue
    drain(driver)
    [email] = sent_emails(dynamodb.meta.region_name)
    return customer, email


def consent(repository, customer_id: str, purpose: str = "reminders"):
    return CustomerService(repository).get(customer_id).consents[f"email:{purpose}"]


def test_a_reminder_carries_the_one_click_headers_and_its_link_withdraws_on_post_only(repository, reminded):
    customer, email = reminded
    headers = {h["Name"]: h["Value"] for h in email.headers}
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://api.cis.test/v1/unsubscribe?token=u1.")
    assert email.body.endswith(url)  # and the line at the end of the text

    page = call("GET", url)
    assert page["statusCode"] == 200, page
    assert "renewal reminders" in page["body"] and 'method="post"' in page["body"]
    assert consent(repository, customer.id).status == "granted"  # a GET (a mail scanner) withdraws nothing

    done = call("POST", url, "List-Unsubscribe=One-Click")
    assert done["statusCode"] == 200, done
    withdrawn = consent(repository, customer.id)
    assert (withdrawn.status, withdrawn.source, withdrawn.captured_by) == (
        "withdrawn",
        "one_click_unsubscribe",
        "customer:unsubscribe-link",
    )
    assert "one-click" in withdrawn.evidence
    again = call("POST", url, "List-Unsubscribe=One-Click")  # the person clicks too: the same answer, no new entry
    assert again["statusCode"] == 200 and again["body"] == done["body"]
    assert consent(repository, customer.id).captured_at == withdrawn.captured_at


def test_a_tampered_or_foreign_link_is_refused_and_a_post_needs_the_one_click_body(repository, reminded):
    customer, email = reminded
    url = {h["Name"]: h["Value"] for h in email.headers}["List-Unsubscribe"].strip("<>")
    tampered = url.replace(".reminders.", ".marketing.")
    for method in ("GET", "POST"):
        refused = call(method, tampered, "List-Unsubscribe=One-Click" if method == "POST" else "")
        assert refused["statusCode"] == 403 and '"bad_link_signature"' in refused["body"]
    assert call("POST", url, "unsubscribe=yes")["statusCode"] == 400
    assert call("POST", url, '{"List-Unsubscribe": "One-Click"}', "application/json")["statusCode"] == 415
    assert consent(repository, customer.id).status == "granted"


def test_a_link_to_an_address_the_customer_dropped_withdraws_nothing(dynamodb, repository, reminded):
    customer, email = reminded
    url = {h["Name"]: h["Value"] for h in email.headers}["List-Unsubscribe"].strip("<>")
    CustomerService(repository).update(
        customer.id, CustomerPatch(emails=[{"address": "ada.new@example.com"}]), "staff:test", None
    )
    assert call("POST", url, "List-Unsubscribe=One-Click")["statusCode"] == 200  # the same answer
    assert consent(repository, customer.id).status == "granted"


def test_after_the_withdrawal_no_reminder_goes_out_and_a_service_message_carries_no_link(
    dynamodb, repository, notifier_queue
):
    customer, _ = reminder_due_today(dynamodb, repository, "email")
    ConsentService(consent_repository(dynamodb)).record(
        customer.id, "email", "reminders", ConsentIn(status="withdrawn", source="test"), "staff:test"
    )
    module, driver, _, _ = notifier_queue
    drain(driver)
    assert sent_emails(dynamodb.meta.region_name) == []  # withdrawn: no reminder at all

    # A support reply is a service message: sent (no refusal), with no link and no one-click headers.
    reply = ReplyDue(customer_id=customer.id, ticket_id="T1", interaction_id="M1", occurred_at=datetime.now(UTC))
    assert module.notifier.support_reply(reply).status == "sent"
    [email] = sent_emails(dynamodb.meta.region_name)
    assert getattr(email, "headers", None) is None and "unsubscribe" not in email.body.lower()
