"""Customer sign-ups on the local runtime: what the customer pool does once a customer confirms.

`confirm` runs the customer_signup function's real handler with the Post Confirmation event Cognito
sends, carrying the attributes the pool verified, and `sign_in` with the Post Authentication event;
`link` is the operator's shortcut of `cis token --customer <id>` (a development sign-in linked to a
chosen record). Either way the customer token minted next is only as good as the link the server keeps."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from cis.topology import CUSTOMER_SIGNUP

from cis_local.functions import load_handler
from cis_local.gateway import LambdaContext

LOCAL_POOL = "local_customers"


def confirm(subject: str, email: str | None = None, phone: str | None = None, **names: str) -> str:
    """The customer id the sign-up was linked to (an existing record by verified contact, or a new one)."""
    _trigger("PostConfirmation_ConfirmSignUp", subject, email, phone, **names)
    return _linked(subject, "the sign-up trigger ran but linked nothing")


def sign_in(subject: str, email: str | None = None, phone: str | None = None) -> str | None:
    """A sign-in, as the pool's post authentication trigger sees it: the customer id it is linked to,
    linking it first if its sign-up's link failed; None if it could not be linked (the sign-in stands)."""
    _trigger("PostAuthentication_Authentication", subject, email, phone)
    from cis.repository.factory import login_repository

    return login_repository().customer_of(subject)


def _trigger(source: str, subject: str, email: str | None, phone: str | None, **names: str) -> None:
    """The customer_signup function's real handler, with the event Cognito sends for `source`."""
    attributes = {"sub": subject}
    if email:
        attributes |= {"email": email, "email_verified": "true"}
    if phone:
        attributes |= {"phone_number": phone, "phone_number_verified": "true"}
    attributes |= {name: value for name, value in names.items() if value}
    event = {
        "version": "1",
        "region": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
        "userPoolId": LOCAL_POOL,
        "userName": subject,
        "callerContext": {"awsSdkVersion": "local", "clientId": "local-customer-app"},
        "triggerSource": source,
        "request": {"userAttributes": attributes},
        "response": {},
    }
    returned = load_handler(CUSTOMER_SIGNUP).handler(event, LambdaContext(CUSTOMER_SIGNUP))
    assert returned == event, "a trigger hands Cognito its event back unchanged"


def _linked(subject: str, otherwise: str) -> str:
    from cis.repository.factory import login_repository

    customer_id = login_repository().customer_of(subject)
    if customer_id is None:
        raise RuntimeError(otherwise)
    return customer_id


def link(customer_id: str) -> str:
    """A development sign-in linked to this customer (the same one each time); its subject."""
    from cis.repository.factory import login_repository

    subject = f"dev-customer-{customer_id}"
    logins = login_repository()
    linked = logins.customer_of(subject)
    if linked is None and not logins.link(subject, customer_id, "development_token", datetime.now(UTC)):
        raise SystemExit(f"customer {customer_id} cannot be linked: it does not exist, or is archived or merged")
    if linked not in (None, customer_id):
        raise SystemExit(f"{subject} is linked to customer {linked}")
    return subject
