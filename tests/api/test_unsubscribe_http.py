"""One-click unsubscribe over real HTTP: a renewal reminder sent by the real job and notifier carries RFC 8058's
headers; its link shows a page on GET (withdrawing nothing, as a mail scanner's fetch must not) and withdraws
on the mail client's POST, with no sign-in; a tampered link is refused."""

from datetime import UTC, datetime, timedelta

import pytest
import requests
from cis.topology import Role
from cis_local.jobs import sent

from tests.api.test_erasure_http import run_job, settle
from tests.repository.conftest import daytime_zone

from .conftest import Client

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def as_role(quiet_api):
    return lambda *roles: Client(quiet_api.url, list(roles))


def test_a_reminders_one_click_link_withdraws_on_post_only_and_refuses_a_tampered_token(as_role, quiet_api, unique):
    support, marketing = as_role(Role.SUPPORT), as_role(Role.MARKETING)
    now = datetime.now(UTC)
    email = f"lin.{unique}@example.com"
    person = {"given_name": "Lin", "emails": [{"address": email}], "time_zone": daytime_zone(now)}
    lin = support.post("/v1/customers", json=person).json()["id"]
    path = f"/v1/customers/{lin}"
    granted = {"status": "granted", "source": "web-form", "evidence": "signup form v3"}
    assert marketing.put(f"{path}/consents/email/reminders", json=granted).status_code == 200
    renews = (now + timedelta(days=7)).date().isoformat()  # its 7-day reminder is due today
    subscription = {"plan": "gym", "renews_at": renews, "price": "9.90", "currency": "EUR"}
    assert support.post(f"{path}/subscriptions", json=subscription).status_code == 201
    run_job(quiet_api, "renewal-reminders", now.date().isoformat())

    [reminder] = settle(lambda: [m for m in sent(quiet_api.runtime["aws_endpoint"]) if email in m["to"]], 60)
    assert reminder["headers"]["List-Unsubscribe-Post"] == ONE_CLICK
    url = reminder["headers"]["List-Unsubscribe"].strip("<>")
    assert url.startswith(f"{quiet_api.url}/v1/unsubscribe?token=u1.{lin}.email.reminders.")
    assert reminder["text"].endswith(url)

    def state() -> dict:
        return support.get(f"{path}/consents").json()["email:reminders"]

    # A person (or a mail scanner) opening the link: a page with a button, and nothing withdrawn.
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "renewal reminders" in page.text and ONE_CLICK.split("=")[0] in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert state()["status"] == "granted"

    # A changed token is refused, on either method, and changes nothing.
    tampered = url.replace(".email.reminders.", ".email.marketing.")
    for refused in (requests.get(tampered, timeout=30), requests.post(tampered, data=ONE_CLICK, headers=FORM)):
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "bad_link_signature"
    assert requests.post(url, json={"List-Unsubscribe": "One-Click"}, timeout=30).status_code == 415
    assert state()["status"] == "granted"

    # The mail client's one-click POST, with no sign-in at all.
    done = requests.post(url, data=ONE_CLICK, headers=FORM, timeout=30)
    assert done.status_code == 200, done.text
    withdrawn = state()
    assert (withdrawn["status"], withdrawn["source"], withdrawn["captured_by"]) == (
        "withdrawn",
        "one_click_unsubscribe",
        "customer:unsubscribe-link",
    )
    assert withdrawn["allowed_now"] is False
    again = requests.post(url, data=ONE_CLICK, headers=FORM, timeout=30)  # and the person's click after it
    assert (again.status_code, again.text) == (200, done.text)
    history = support.get(f"{path}/consents/email/reminders/history").json()["items"]
    assert [h["source"] for h in history] == ["one_click_unsubscribe", "web-form"]  # one withdrawal, once
