"""The churn check on generated customers (cis_local.histories): the histories fold to what the timeline
writes, the day's job reads only the day's watches, and fading customers rank above regular ones."""

from collections import Counter
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from cis.domain.churn import ChurnRules, assess, signals_of
from cis.domain.customer import CustomerCreate
from cis.domain.engagement import Engagement
from cis.domain.interactions import InteractionIn
from cis.repository import keys
from cis.repository.factory import churn_repository, timeline_repository
from cis.service.churn import ChurnCheckJob
from cis.service.customers import CustomerService
from cis.service.timeline import TimelineService
from cis_local import moto_fixes
from cis_local.histories import KINDS, customer_base, fold, steady_state_items
from cis_local.request_counter import ItemsRead
from pydantic import TypeAdapter
from ulid import ULID

from tests.dynamodb_local import restore

TODAY = date(2026, 11, 23)
RULES = ChurnRules()
COMPARED = ("first_seen_at", "last_activity_at", "activity_weeks", "order_weeks", "failed_payment_weeks")


def test_the_generated_histories_fold_to_what_the_timeline_writes(dynamodb, repository):
    people = customer_base(60, TODAY, seed=21)
    base = [next(person for person in people if person.kind == kind) for kind in KINDS]  # one of each
    clock = {"now": datetime.combine(TODAY, time(), tzinfo=UTC)}
    timeline = TimelineService(timeline_repository(dynamodb), clock=lambda: clock["now"], zone=ZoneInfo("UTC"))
    parse = TypeAdapter(InteractionIn).validate_python
    with moto_fixes.installed():  # moto's own item size check is quadratic in the profile's weekly maps
        for person in base:
            customer = CustomerService(repository).create(CustomerCreate.model_validate(person.fields), "staff:t")
            for event in person.events:
                clock["now"] = event.at  # recorded as it happened, through the real write path
                timeline.record(customer.id, parse(event.body), "staff:test")
            stored = repository.get(customer.id).engagement.model_dump(mode="json")
            folded = Engagement.model_validate(fold(person.events)).model_dump(mode="json")
            assert {name: stored[name] for name in COMPARED} == {name: folded[name] for name in COMPARED}
            assert (stored["orders_count"], stored["open_tickets"]) == (folded["orders_count"], folded["open_tickets"])


@pytest.fixture(scope="module")
def generated():
    return customer_base(2000, TODAY, seed=8)


def test_on_a_generated_base_the_days_job_reads_only_the_days_watches_across_invocations(dynamodb, bus, generated):
    items, due, watches = [], set(), 0
    for person in generated:
        customer_id = str(ULID())
        built = steady_state_items(person, customer_id, TODAY, RULES, rescore=person.number % 100 == 0)
        items += built
        today = [item for item in built if item.get("GSI1PK", {}).get("S", "").startswith(f"WATCH#{TODAY}#")]
        due |= {customer_id} if today else set()
        watches += len(today)
    with moto_fixes.installed():
        restore(dynamodb, "cis-test", items)
        reads = ItemsRead(dynamodb)
        job = ChurnCheckJob(churn_repository(dynamodb), bus, RULES, ZoneInfo("UTC"), page_size=3)
        runs, cursor = [], None
        while not runs or cursor is not None:  # out of time after every page: each invocation goes on
            runs.append(job.run(TODAY, cursor, lambda: False))
            cursor = runs[-1].cursor

    assert 20 < len(due) < len(generated) / 10  # a day's work is a small part of the base
    assert len(runs) > keys.WATCH_SHARDS  # it did stop and go on
    assert sum(run.customers for run in runs) == reads.fetched == len(due)  # each watched profile, once
    assert sum(run.read for run in runs) == watches  # their watches, each handled once, nothing else
    assert watches <= reads.items <= watches + sum(run.pages for run in runs)  # a held-back one read again
    assert sum(sum(run.assessed.values()) for run in runs) == len(due)


def test_fading_customers_rank_above_regular_ones(generated):
    scored = sorted(
        (-assess(signals_of(Engagement.model_validate(fold(p.events)), {}, TODAY), RULES).score, p.number, p.kind)
        for p in generated
    )
    top = Counter(kind for _, _, kind in scored[: len(scored) // 10])
    share = top["fading"] / sum(top.values())
    base_share = sum(p.kind == "fading" for p in generated) / len(generated)
    assert set(top) <= set(KINDS) and share > 3 * base_share  # fading users crowd the top decile
    assert top["regular"] < top["fading"] / 4
