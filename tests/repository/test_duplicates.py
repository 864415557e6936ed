"""Likely duplicates: stopped at create with reasons, kept apart on request, listed as pairs from the stream."""

import pytest
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.matching import Fingerprint
from cis.errors import PossibleDuplicate
from cis.repository.duplicates import BLOCK_READ_LIMIT
from cis.repository.factory import duplicate_repository
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis_local.request_counter import RequestCounter

ROBERT = {
    "given_name": "Robert",
    "family_name": "Müller",
    "emails": [{"address": "robert.mueller@gmail.com"}],
    "birthday": "1980-05-17",
}
BOB = {"given_name": "Bob", "family_name": "Mueller", "emails": [{"address": "r.o.b.e.r.t.mueller@gmail.com"}]}


@pytest.fixture
def finder(dynamodb):
    return DuplicateFinder(duplicate_repository(dynamodb), utcnow)


@pytest.fixture
def service(repository, finder):
    return CustomerService(repository, finder)


def test_a_near_duplicate_create_is_refused_with_scored_reasons_and_writes_nothing(service, catch_up, all_items):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    catch_up()
    before = all_items()
    with pytest.raises(PossibleDuplicate) as refused:
        service.create(CustomerCreate(**BOB), "staff:b")
    [candidate] = refused.value.candidates
    assert candidate.customer_id == robert.id and candidate.score >= 0.8
    assert {"same_mailbox", "nickname"} <= {reason.code for reason in candidate.reasons}
    assert all_items() == before


def test_allow_duplicate_creates_and_remembers_the_choice_so_the_pair_is_not_listed(service, finder, catch_up):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    catch_up()
    bob = service.create(CustomerCreate(**BOB), "staff:b", allow_duplicate=True)
    catch_up()
    assert bob.distinct_from == [robert.id]
    assert service.get(bob.id).distinct_from == [robert.id]
    assert finder.page(10, None).items == []


def test_a_duplicate_made_by_an_edit_is_listed_as_a_pair_and_leaves_when_the_edit_is_undone(service, finder, catch_up):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    other = service.create(CustomerCreate(given_name="Bob", family_name="Mueller"), "staff:b")
    catch_up()
    assert finder.page(10, None).items == []  # a name alone is not enough
    service.update(other.id, CustomerPatch(birthday="1980-05-17"), "staff:b", None)
    catch_up()
    [pair] = finder.page(10, None).items
    assert pair["customer_ids"] == sorted([robert.id, other.id])
    assert {reason["code"] for reason in pair["reasons"]} == {"nickname", "same_birthday"}
    service.update(other.id, CustomerPatch(birthday="1955-01-01"), "staff:b", None)
    catch_up()
    assert finder.page(10, None).items == []


def test_archived_customers_are_no_one_s_duplicate(service, finder, catch_up):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    twin = service.create(CustomerCreate(**(ROBERT | {"emails": []})), "staff:b")  # before the stream filed robert
    catch_up()
    assert [pair["customer_ids"] for pair in finder.page(10, None).items] == [sorted([robert.id, twin.id])]
    service.archive(twin.id, "staff:a", None)
    catch_up()
    assert finder.page(10, None).items == []
    with pytest.raises(PossibleDuplicate) as refused:
        service.create(CustomerCreate(**(ROBERT | {"emails": []})), "staff:c")
    assert [candidate.customer_id for candidate in refused.value.candidates] == [robert.id]


def test_pairs_page_most_likely_first_with_cursors(service, finder, catch_up):
    people = [
        service.create(CustomerCreate(**ROBERT), "staff:a"),
        service.create(CustomerCreate(**(ROBERT | {"emails": []})), "staff:a"),
        service.create(CustomerCreate(given_name="Robert", family_name="Muller", birthday="1980-05-17"), "staff:a"),
    ]
    catch_up()
    first = finder.page(1, None)
    rest = finder.page(10, first.next_cursor)
    pairs = first.items + rest.items
    ids = [person.id for person in people]
    assert sorted(tuple(pair["customer_ids"]) for pair in pairs) == sorted(
        tuple(sorted((a, b))) for i, a in enumerate(ids) for b in ids[i + 1 :]
    )
    scores = [pair["score"] for pair in pairs]
    assert scores == sorted(scores, reverse=True) and rest.next_cursor is None


def test_the_create_check_reads_one_query_per_probe_key_and_never_scans(service, repository, catch_up):
    for index in range(30):
        service.create(CustomerCreate(given_name=f"Person{index}", family_name="Other", birthday="1990-01-01"), "s")
    catch_up()
    counter = RequestCounter(repository.client)
    with counter.measure() as calls:
        service.create(CustomerCreate(**ROBERT), "staff:a")
    # ROBERT probes his mailbox's user part, his name both ways round, each name's sound with his birth
    # year and his birthday: six Queries, then the one create transaction.
    assert len(Fingerprint.of(ROBERT).probe_keys()) == 6
    assert calls == {"Query": 6, "TransactWriteItems": 1}


def test_a_crowded_blocking_key_is_read_only_up_to_its_limit(dynamodb, finder):
    repository = duplicate_repository(dynamodb)
    crowd = Fingerprint(given="john", family="smith")
    for index in range(BLOCK_READ_LIMIT + 20):
        repository.file(f"01J{index:023d}", None, crowd, [])
    assert len(repository.neighbours(crowd.probe_keys())) == BLOCK_READ_LIMIT
