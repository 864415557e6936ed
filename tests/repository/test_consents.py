"""The consent ledger on moto: history kept, current state on the profile, on the timeline too."""

from datetime import UTC, datetime, timedelta

import pytest
from cis.domain.consent import ConsentIn, is_allowed
from cis.domain.customer import CustomerCreate
from cis.errors import NotFound
from cis.repository.factory import consent_repository, timeline_repository
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService
from cis_local.request_counter import RequestCounter


@pytest.fixture
def consents(dynamodb):
    return ConsentService(consent_repository(dynamodb))


@pytest.fixture
def customers(repository):
    return CustomerService(repository)


@pytest.fixture
def customer(customers):
    return customers.create(CustomerCreate(given_name="Ada"), "staff:test")


def decision(status, at=None, **extra):
    return ConsentIn(status=status, source="web-signup", captured_at=at, **extra)


def test_a_change_is_kept_in_history_made_current_and_shown_on_the_timeline(consents, customers, customer, dynamodb):
    consents.record(customer.id, "email", "marketing", decision("granted"), "staff:a")
    _, current = consents.record(customer.id, "email", "marketing", decision("withdrawn"), "staff:b")
    assert current is True
    state = customers.get(customer.id).consents["email:marketing"]
    assert (state.status, state.captured_by, state.allowed_now) == ("withdrawn", "staff:b", False)
    history = consents.history(customer.id, "email", "marketing", 10, None).items
    assert [change["status"] for change in history] == ["withdrawn", "granted"]
    timeline = timeline_repository(dynamodb).page(customer.id, "consent", 10, None).items
    assert [(e["channel"], e["purpose"], e["status"]) for e in timeline] == [
        ("email", "marketing", "withdrawn"),
        ("email", "marketing", "granted"),
    ]


def test_an_older_capture_is_kept_in_history_but_does_not_override_a_newer_decision(consents, customers, customer):
    consents.record(customer.id, "sms", "reminders", decision("granted"), "staff:a")
    old = datetime.now(UTC) - timedelta(days=30)
    _, current = consents.record(customer.id, "sms", "reminders", decision("denied", at=old), "staff:paper")
    assert current is False
    assert customers.get(customer.id).consents["sms:reminders"].status == "granted"
    assert len(consents.history(customer.id, "sms", "reminders", 10, None).items) == 2


def test_consent_for_a_missing_customer_is_not_found(consents):
    with pytest.raises(NotFound):
        consents.record("01ARZ3NDEKTSV4RRFFQ69G5FAV", "email", "marketing", decision("granted"), "staff:a")


def test_recording_a_consent_is_one_request(consents, customer):
    counter = RequestCounter(consents.repository.client)
    with counter.measure() as calls:
        consents.record(customer.id, "email", "service", decision("granted"), "staff:a")
    assert sum(calls.values()) == 1


def test_a_profile_edit_never_overwrites_consents(consents, customers, customer):
    consents.record(customer.id, "post", "marketing", decision("granted"), "staff:a")
    from cis.domain.customer import CustomerPatch

    customers.update(customer.id, CustomerPatch.model_validate({"custom_attributes": {"x": 1}}), "staff:b", None)
    customers.update(customer.id, CustomerPatch(locale="en-GB"), "staff:b", None)
    assert customers.get(customer.id).consents["post:marketing"].status == "granted"


@pytest.mark.parametrize(
    ("status", "purpose", "window", "allowed"),
    [
        (None, "marketing", None, False),  # no record: no marketing
        (None, "reminders", None, False),
        (None, "service", None, True),  # service messages rest on the contract
        ("granted", "marketing", None, True),
        ("withdrawn", "service", None, False),  # refused is refused, whatever the purpose
        ("granted", "marketing", (1, 2), False),  # not yet effective
        ("granted", "marketing", (-2, -1), False),  # expired
        ("granted", "marketing", (-1, 1), True),
    ],
)
def test_whether_contact_is_allowed(status, purpose, window, allowed):
    from cis.domain.consent import ConsentState

    now = datetime.now(UTC)
    state = None
    if status:
        start, end = (now + timedelta(days=window[0]), now + timedelta(days=window[1])) if window else (None, None)
        state = ConsentState(
            channel="email",
            purpose=purpose,
            status=status,
            legal_basis="consent",
            source="t",
            captured_at=now,
            captured_by="s",
            effective_from=start,
            effective_to=end,
        )
    assert is_allowed(state, purpose, now) is allowed
