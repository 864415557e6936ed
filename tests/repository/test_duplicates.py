"""Likely duplicates: stopped at create with reasons, kept apart on request, listed as pairs from the stream."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.matching import Fingerprint
from cis.errors import PossibleDuplicate, Unprocessable
from cis.repository.duplicates import MAX_BLOCK_MEMBERS
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


def test_a_create_for_review_lists_its_likely_pairs_and_records_no_distinct_from(service, finder, catch_up):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    catch_up()
    bob, candidates = service.created(CustomerCreate(**BOB), "staff:b", "review")
    catch_up()
    assert [candidate.customer_id for candidate in candidates] == [robert.id]
    assert bob.distinct_from is None and service.get(bob.id).distinct_from is None
    [pair] = finder.page(10, None).items
    assert pair["customer_ids"] == sorted([robert.id, bob.id])
    assert all(isinstance(reason["weight"], float) for reason in pair["reasons"])


def test_min_score_keeps_the_pairs_scored_at_least_that(service, finder, catch_up):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    bob, _ = service.created(CustomerCreate(**BOB), "staff:b", "review")
    catch_up()
    [pair] = finder.page(10, None).items
    assert pair["pair_id"] == "~".join(sorted([robert.id, bob.id]))
    score = round(pair["score"], 3)
    assert [p["pair_id"] for p in finder.page(10, None, min_score=score).items] == [pair["pair_id"]]
    assert finder.page(10, None, min_score=min(1, score + 0.001)).items == []


def test_a_dismissed_pair_leaves_the_listing_at_once_and_is_never_listed_again(service, finder, catch_up):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    bob, _ = service.created(CustomerCreate(**BOB), "staff:b", "review")
    catch_up()
    assert len(finder.page(10, None).items) == 1
    kept = service.keep_apart(bob.id, robert.id, "staff:c")
    assert [(c.id, c.version, c.distinct_from) for c in kept] == [(bob.id, 2, [robert.id]), (robert.id, 2, [bob.id])]
    assert finder.page(10, None).items == []  # in the same transaction, not when the stream comes by
    catch_up()
    service.update(bob.id, CustomerPatch(birthday=ROBERT["birthday"]), "staff:b", None)  # now even more alike
    catch_up()
    assert finder.page(10, None).items == []
    assert service.get(robert.id).distinct_from == [bob.id] and service.get(bob.id).distinct_from == [robert.id]
    assert service.get(robert.id).updated_by == "staff:c"


def test_dismissing_loses_no_concurrent_write_to_either_customer(service, finder, catch_up):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    bob, _ = service.created(CustomerCreate(**BOB), "staff:b", "review")
    read, raced = service.get, []

    def read_then_let_a_tag_in(customer_id):
        current = read(customer_id)
        if not raced:
            raced.append(customer_id)
            service.get = read  # the rival's own read-modify-write reads as usual
            service.add_tag(robert.id, "vip", "staff:d")
            service.get = read_then_let_a_tag_in
        return current

    service.get = read_then_let_a_tag_in
    service.keep_apart(robert.id, bob.id, "staff:c")
    del service.get
    stored = service.get(robert.id)
    assert (stored.tags, stored.distinct_from, stored.version) == (["vip"], [bob.id], 3)


def test_merging_a_listed_pair_takes_it_off_the_listing(service, finder, catch_up, dynamodb):
    from cis.domain.merging import MergeRequest
    from cis.repository.factory import merge_repository
    from cis.service.merges import MergeService

    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    bob, _ = service.created(CustomerCreate(**BOB), "staff:b", "review")
    catch_up()
    assert len(finder.page(10, None).items) == 1
    MergeService(merge_repository(dynamodb), utcnow).merge(robert.id, MergeRequest(merge_ids=[bob.id]), "staff:c")
    catch_up()  # the stream: the merged customer is filed under nothing, so its pairs are stale
    assert finder.page(10, None).items == []


def test_allow_duplicate_true_contradicting_on_duplicate_is_refused():
    from cis.domain.duplicates import on_duplicate_of
    from cis.errors import InvalidRequest

    assert on_duplicate_of(None, True) == "allow" and on_duplicate_of(None, False) == "reject"
    assert on_duplicate_of("review", False) == "review"
    with pytest.raises(InvalidRequest):
        on_duplicate_of("review", True)


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
    twin = service.create(CustomerCreate(**(ROBERT | {"emails": [], "birthday": "1955-01-01"})), "staff:b")
    service.update(twin.id, CustomerPatch(birthday=ROBERT["birthday"]), "staff:b", None)  # an edit makes the twin
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
        service.create(CustomerCreate(**(ROBERT | {"emails": [], "birthday": "1955-01-01"})), "staff:a"),
        service.create(CustomerCreate(given_name="Robert", family_name="Muller", birthday="1947-09-02"), "staff:a"),
    ]
    for person in people[1:]:  # edits make the three look alike: pairs come from the stream
        service.update(person.id, CustomerPatch(birthday=ROBERT["birthday"]), "staff:a", None)
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


def test_the_create_check_reads_its_blocks_in_one_batch_get_and_never_scans(service, repository):
    for index in range(30):
        service.create(  # look-alikes of one another (names a digit apart): kept, they are not the point here
            CustomerCreate(given_name=f"Person{index}", family_name="Other", birthday=f"19{50 + index}-01-01"),
            "s",
            allow_duplicate=True,
        )
    counter = RequestCounter(repository.client)
    with counter.measure() as calls:
        service.create(CustomerCreate(**ROBERT), "staff:a")
    # Every block ROBERT is and will be filed under, in one BatchGetItem, then the one create
    # transaction that writes them with the profile.
    assert calls == {"BatchGetItem": 1, "TransactWriteItems": 1}


def test_a_crowded_block_takes_members_up_to_its_limit_and_still_guards(dynamodb, finder):
    repository = duplicate_repository(dynamodb)
    crowd = Fingerprint(given="john", family="smith")
    for index in range(MAX_BLOCK_MEMBERS + 20):
        repository.file(f"01J{index:023d}", None, crowd, [])
    assert len(repository.neighbours(crowd.probe_keys())) == MAX_BLOCK_MEMBERS
    for block in repository.blocks(crowd.probe_keys()).values():
        assert block.version == MAX_BLOCK_MEMBERS  # full: later records neither joined nor changed it


# -- blocks written with the record: what a create, a patch and an archive see at once ----------


def test_a_duplicate_posted_right_after_the_first_is_refused_with_no_stream_run(service):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    with pytest.raises(PossibleDuplicate) as refused:  # no catch_up(): the create filed Robert itself
        service.create(CustomerCreate(**BOB), "staff:b")
    assert [candidate.customer_id for candidate in refused.value.candidates] == [robert.id]


def test_a_create_whose_check_a_rival_overtakes_is_cancelled_and_rechecked_into_a_409(dynamodb, repository):
    """The race by construction: A reads its blocks; B reads the same blocks, finds nothing and commits;
    A's transaction, conditional on the versions it read, is cancelled; A reads again and finds B."""
    blocks = duplicate_repository(dynamodb)
    pauses: list[int] = []
    service = CustomerService(repository, DuplicateFinder(blocks, utcnow), pause=pauses.append)
    read, rivals = blocks.blocks, []

    def read_then_let_a_rival_commit(wanted):
        seen = read(wanted)
        if not rivals:
            rivals.append(None)
            rivals[0] = service.create(CustomerCreate(**BOB), "staff:b")  # B: its own read, then its commit
        return seen

    blocks.blocks = read_then_let_a_rival_commit
    with pytest.raises(PossibleDuplicate) as refused:
        service.create(CustomerCreate(**ROBERT), "staff:a")
    assert [candidate.customer_id for candidate in refused.value.candidates] == [rivals[0].id]
    assert pauses == [0]  # A was cancelled once, then refused on what B committed
    assert service.list("active", 10, None).items == [rivals[0]]


def test_allowed_duplicates_racing_each_other_are_both_created_and_kept_apart_from_the_first(dynamodb, repository):
    blocks = duplicate_repository(dynamodb)
    service = CustomerService(repository, DuplicateFinder(blocks, utcnow), pause=lambda _: None)
    read, rivals = blocks.blocks, []

    def read_then_let_a_rival_commit(wanted):
        seen = read(wanted)
        if not rivals:
            rivals.append(None)
            rivals[0] = service.create(CustomerCreate(**BOB), "staff:b", allow_duplicate=True)
        return seen

    blocks.blocks = read_then_let_a_rival_commit
    robert = service.create(CustomerCreate(**ROBERT), "staff:a", allow_duplicate=True)
    assert rivals[0].distinct_from is None and robert.distinct_from == [rivals[0].id]  # rechecked: it saw B


def test_a_record_patched_to_a_new_email_is_found_by_it_at_once_and_no_longer_by_the_old(service, finder):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    new_mailbox = {"family_name": "Müller", "emails": [{"address": "rm.1980@example.org"}]}
    old_mailbox = {"family_name": "Müller", "emails": ROBERT["emails"]}
    assert [c.customer_id for c in finder.candidates(old_mailbox)] == [robert.id]
    assert finder.candidates(new_mailbox) == []
    service.update(robert.id, CustomerPatch(emails=new_mailbox["emails"]), "staff:a", None)
    assert [c.customer_id for c in finder.candidates(new_mailbox)] == [robert.id]  # no stream run
    assert finder.candidates(old_mailbox) == []
    assert finder.repository.neighbours(Fingerprint.of(old_mailbox).probe_keys()) == {}


def test_a_name_patch_is_no_blind_write_it_refiles_the_record_under_its_new_name(service, finder, repository):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    renamed = {"given_name": "Robert", "family_name": "Schneider", "birthday": ROBERT["birthday"]}
    counter = RequestCounter(repository.client)
    with counter.measure() as calls:
        service.update(robert.id, CustomerPatch(family_name="Schneider"), "staff:a", None)
    assert calls == {"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    assert [c.customer_id for c in finder.candidates(renamed)] == [robert.id]
    with counter.measure() as calls:  # a field matching does not read stays one conditional UpdateItem
        service.update(robert.id, CustomerPatch(locale="de-DE"), "staff:a", None)
    assert calls == {"UpdateItem": 1}


def test_an_archived_customer_leaves_its_blocks_in_the_archive_s_own_write(service, finder):
    robert = service.create(CustomerCreate(**ROBERT), "staff:a")
    service.archive(robert.id, "staff:a", None)
    assert finder.candidates(BOB) == []
    assert finder.repository.neighbours(Fingerprint.of(ROBERT).blocking_keys()) == {}
    service.archive(robert.id, "staff:a", None)  # archiving twice changes nothing


def test_a_record_too_large_for_one_atomic_write_is_refused_with_422_not_half_written(service, all_items):
    many = {
        "given_name": "Robert",
        "family_name": "Müller",
        "emails": [{"address": f"robert.mueller{i}@example.com"} for i in range(10)],
        "phones": [{"number": f"+44 20 7946 00{i:02d}"} for i in range(10)],
        "addresses": [{"lines": [f"{i} Elm Row"], "postal_code": "EH7 4AA", "country": "GB"} for i in range(10)],
        "external_ids": {f"system{i}": f"id-{i}" for i in range(20)},
        "tags": [f"tag{i}" for i in range(50)],
    }
    with pytest.raises(Unprocessable) as refused:
        service.create(CustomerCreate(**many), "staff:a")
    assert "more than one atomic write allows (100)" in refused.value.message
    assert all_items() == []


def test_many_creates_of_one_person_at_once_make_exactly_one_customer(
    dynamodb, dynamodb_local, repository, monkeypatch
):
    """Threads, not a staged interleaving: whatever order the engine applies their requests in, one
    create commits and every other is refused naming it. DynamoDB Local applies each request
    atomically; moto's in-process mock does not, so there each request takes a lock, as the engine's
    own atomicity would (cis run's moto server does the same)."""
    if not dynamodb_local:
        lock, original = threading.Lock(), dynamodb._make_api_call

        def one_request_at_a_time(operation, params):
            with lock:
                return original(operation, params)

        monkeypatch.setattr(dynamodb, "_make_api_call", one_request_at_a_time)
    service = CustomerService(repository, DuplicateFinder(duplicate_repository(dynamodb), utcnow))
    for round_ in range(3):
        family = f"Miller{round_}x"
        people = [
            {"given_name": "Robert", "family_name": family, "emails": [{"address": f"bob.miller.{round_}@gmail.com"}]},
            {"given_name": "Bob", "family_name": family, "emails": [{"address": f"bobmiller.{round_}+x@gmail.com"}]},
        ]
        start = threading.Barrier(6)

        def create(index: int, people=people, start=start):
            start.wait()
            try:
                return service.create(CustomerCreate(**people[index % 2]), f"staff:{index}")
            except PossibleDuplicate as refusal:
                return refusal

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(create, range(6)))
        [created] = [result for result in results if not isinstance(result, PossibleDuplicate)]
        refusals = [result for result in results if isinstance(result, PossibleDuplicate)]
        assert len(refusals) == 5
        assert all([c.customer_id for c in no.candidates] == [created.id] for no in refusals)
