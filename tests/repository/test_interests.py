"""Shop activities on the profile: recent products and categories, the cart and the checkout, kept by
the activity write itself (one request), never moved back by a late-arriving older event."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cis.domain.customer import CustomerCreate
from cis.domain.interactions import InteractionIn
from cis.domain.interests import PRODUCT_SLOTS
from cis.errors import InvalidRequest
from cis.repository.factory import timeline_repository
from cis.service.customers import CustomerService
from cis.service.timeline import TimelineService
from cis.topology import Role
from cis_local.request_counter import RequestCounter
from pydantic import TypeAdapter, ValidationError

interaction = TypeAdapter(InteractionIn).validate_python
NOW = datetime.now(UTC).replace(microsecond=0)
_ADMIN = frozenset({Role.ADMIN})


@pytest.fixture
def timeline(dynamodb):
    return TimelineService(timeline_repository(dynamodb))


@pytest.fixture
def customer(repository):
    return CustomerService(repository).create(CustomerCreate(given_name="Ada"), "staff:test")


def viewed(product: str, category: str | None = "hiking", at: datetime | None = None, **extra):
    body = {"type": "activity", "activity": "product_viewed", "channel": "web", "product_id": product} | extra
    body |= {"category": category} if category else {}
    return interaction(body | ({"occurred_at": at.isoformat()} if at else {}))


def cart(*lines: tuple[str, int, str], at: datetime | None = None):
    body = {
        "type": "activity",
        "activity": "cart_updated",
        "channel": "web",
        "cart": {
            "lines": [{"product_id": p, "quantity": q, "price": price} for p, q, price in lines],
            "currency": "EUR",
        },
    }
    return interaction(body | ({"occurred_at": at.isoformat()} if at else {}))


def test_a_product_view_is_one_request_and_shows_newest_first_without_repeats(timeline, customer):
    counter = RequestCounter(timeline.repository.client)
    timeline.record(customer.id, viewed("boot-1", at=NOW - timedelta(minutes=3)), "staff:shop")
    assert counter.total == 1  # the entry and the profile's interests in one transaction
    timeline.record(customer.id, viewed("tent-9", "camping", at=NOW - timedelta(minutes=2)), "staff:shop")
    timeline.record(customer.id, viewed("boot-1", at=NOW - timedelta(minutes=1)), "staff:shop")

    interests = timeline.customer(customer.id).interests
    assert [p.product_id for p in interests.products] == ["boot-1", "tent-9"]
    assert [c.category for c in interests.categories] == ["hiking", "camping"]
    assert timeline.customer(customer.id).engagement.last_viewed_at == NOW - timedelta(minutes=1)


def test_recent_products_stay_bounded_however_many_are_viewed(timeline, customer):
    for index in range(40):
        timeline.record(customer.id, viewed(f"sku-{index}", at=NOW - timedelta(seconds=40 - index)), "staff:shop")
    products = timeline.customer(customer.id).interests.products
    assert 0 < len(products) <= PRODUCT_SLOTS
    assert products[0].product_id == "sku-39"  # the latest view is always kept


def test_the_cart_is_the_latest_one_and_an_older_event_arriving_late_never_replaces_it(timeline, customer):
    timeline.record(customer.id, cart(("boot-1", 1, "120.00"), ("sock-2", 3, "5.50"), at=NOW), "staff:shop")
    timeline.record(customer.id, cart(("boot-1", 2, "120.00"), at=NOW - timedelta(hours=1)), "staff:shop")

    now = timeline.customer(customer.id).interests.cart
    assert [(line["product_id"], line["quantity"]) for line in now.lines] == [("boot-1", 1), ("sock-2", 3)]
    assert now.value == Decimal("136.50") and now.updated_at == NOW
    kinds = [entry["activity"] for entry in timeline.page(customer.id, "activity", 10, None, _ADMIN).items]
    assert kinds == ["cart_updated", "cart_updated"]  # both on the timeline


def test_an_order_after_the_cart_ends_it_and_one_before_does_not(timeline, customer):
    timeline.record(customer.id, cart(("boot-1", 1, "120.00"), at=NOW - timedelta(hours=2)), "staff:shop")
    older = {"type": "order", "external_order_id": "o-1", "amount": "10", "currency": "EUR"}
    timeline.record(customer.id, interaction(older | {"occurred_at": (NOW - timedelta(hours=3)).isoformat()}), "s:a")
    assert timeline.customer(customer.id).interests.cart is not None  # bought before the cart: still open

    checkout = {"type": "activity", "activity": "checkout_started", "channel": "web", "step": "shipping"}
    timeline.record(customer.id, interaction(checkout | {"occurred_at": (NOW - timedelta(hours=1)).isoformat()}), "s")
    assert timeline.customer(customer.id).interests.checkout.step == "shipping"
    later = {"type": "order", "external_order_id": "o-2", "amount": "120", "currency": "EUR"}
    timeline.record(customer.id, interaction(later | {"occurred_at": NOW.isoformat()}), "staff:a")
    interests = timeline.customer(customer.id).interests
    assert interests.cart is None and interests.checkout is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"activity": "product_viewed"}, "needs product_id"),
        ({"activity": "cart_updated"}, "needs cart"),
        ({"activity": "login", "product_id": "x"}, "product_id do not go with a login activity"),
        ({"activity": "product_viewed", "product_id": "x", "price": "1"}, "price and currency go together"),
        ({"activity": "checkout_started", "cart": {"lines": [], "currency": "EUR"}}, "cart do not go"),
    ],
)
def test_each_activity_kind_takes_its_own_fields(body, problem):
    with pytest.raises((ValidationError, InvalidRequest), match=problem):
        interaction({"type": "activity", "channel": "web"} | body)
