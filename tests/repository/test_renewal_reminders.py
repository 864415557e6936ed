"""The renewal-reminders job and the notifier on moto, with 20,000 customers renewing over a year (2,000 on
DynamoDB Local)."""

import json
import math
from datetime import UTC, date, datetime

import boto3
import pytest
from cis.domain.reminders import RenewalDue
from cis.repository import keys
from cis.repository.bus import EventBus
from cis.repository.factory import customer_repository, link_key, notification_repository
from cis.repository.reminders import DueReminders
from cis.repository.senders import EmailSender, SmsSender
from cis.service.notifications import Notifier
from cis.service.reminders import RenewalReminderJob
from cis.service.unsubscribe import Links
from cis_local import moto_fixes
from cis_local.request_counter import ItemsRead
from cis_local.synthetic import subscription_base
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.dynamodb_local import SWITCHED_ON, fresh_table, restore
from tests.repository.conftest import create_link_key

TODAY = date(2026, 11, 23)
# On DynamoDB Local, whose job here is to check the requests, a tenth: it takes ~400 items a second.
CUSTOMERS = 2_000 if SWITCHED_ON else 20_000
PAGE = 50
CONTINUED_PAGE = 3 if SWITCHED_ON else 7  # small enough that a shard of the busiest day takes two invocations


@pytest.fixture(scope="module")
def world(dynamodb_local):
    """One table of CUSTOMERS customers for the module (building it takes most of a minute). The tests
    only add claims and timeline entries, which no due-index Query can see."""
    with pytest.MonkeyPatch.context() as patch, mock_aws(), moto_fixes.installed():
        if dynamodb_local:
            patch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local)
        client = boto3.client("dynamodb")
        fresh_table(client, "cis-test")
        base = subscription_base(CUSTOMERS, TODAY)
        restore(client, "cis-test", base.items)
        base.items.clear()  # the table holds them now
        yield client, base


@pytest.fixture
def dynamodb(world):
    return world[0]


@pytest.fixture
def seeded(world):
    return world[1]


def deliver(notifier: Notifier, events) -> list[str]:
    """Each event as the notifier's queue would carry it: the bus's own JSON detail."""
    envelope = EventBus(None, "cis")
    return [notifier.renewal_due(RenewalDue.model_validate_json(envelope._entry(e)["Detail"])).status for e in events]


def sent_emails(region: str) -> list:
    return ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages


def test_a_days_job_reads_only_that_days_reminders_and_each_consented_one_is_sent_once(dynamodb, seeded, bus):
    day = max(seeded.due, key=lambda d: len(seeded.due[d]))  # the busiest day of the year
    due = seeded.due[day]
    reads = ItemsRead(dynamodb)
    run = RenewalReminderJob(DueReminders(dynamodb, "cis-test"), bus, page_size=PAGE).run(
        date.fromisoformat(day), None, lambda: True
    )

    assert run.read == run.emitted == len(due) and run.cursor is None
    # Items read equal the due count; the overhead is one Query per shard and a page boundary now and then.
    assert reads.items == len(due)
    assert reads.requests <= keys.DUE_SHARDS + math.ceil(len(due) / PAGE)
    assert sorted(e.detail["subscription_id"] for e in bus.events) == sorted(s for s, _ in due)

    region = dynamodb.meta.region_name
    ses, sns = boto3.client("sesv2", region_name=region), boto3.client("sns", region_name=region)
    ses.create_email_identity(EmailIdentity="reminders@cis.local")
    at_two = datetime.combine(date.fromisoformat(day), datetime.min.time(), tzinfo=UTC).replace(hour=14)
    create_link_key()
    notifier = Notifier(
        customer_repository(dynamodb),
        notification_repository(dynamodb),
        {"email": EmailSender(ses, "reminders@cis.local"), "sms": SmsSender(sns)},
        clock=lambda: at_two,
        links=Links(link_key(), "https://api.cis.test"),
    )
    outcomes = deliver(notifier, bus.events)
    consented = sum(1 for _, agreed in due if agreed)
    assert outcomes.count("sent") == consented == len(sent_emails(region))
    assert outcomes.count("skipped") == len(due) - consented  # no consent: not sent, and the timeline says so

    # The job again for the same day, and every message delivered twice more: nothing goes out again.
    again = RenewalReminderJob(DueReminders(dynamodb, "cis-test"), bus, page_size=PAGE)
    again.run(date.fromisoformat(day), None, lambda: True)
    assert set(deliver(notifier, bus.events)) == {"duplicate"}
    assert len(sent_emails(region)) == consented


def test_a_job_out_of_time_continues_from_its_cursor_without_skipping_or_repeating(dynamodb, seeded, bus):
    day = max(seeded.due, key=lambda d: len(seeded.due[d]))
    job = RenewalReminderJob(DueReminders(dynamodb, "cis-test"), bus, page_size=CONTINUED_PAGE)
    invocations, cursor = 0, None
    while True:
        run = job.run(date.fromisoformat(day), json.loads(json.dumps(cursor)) if cursor else None, lambda: False)
        invocations += 1
        cursor = run.cursor
        if cursor is None:
            break
    announced = [e.detail["subscription_id"] for e in bus.events]
    assert len(announced) == len(set(announced)) == len(seeded.due[day])
    assert invocations > keys.DUE_SHARDS  # one page per invocation: it really had to continue
