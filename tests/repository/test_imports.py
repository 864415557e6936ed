"""CSV import on moto: rows checked like API bodies, duplicates handled by choice, re-runs add nothing."""

import pytest
from cis.domain.customer import CustomerCreate
from cis.domain.imports import ImportRequest
from cis.domain.keys import key_from_query
from cis.errors import Conflict, InvalidRequest, PossibleDuplicate
from cis.repository.factory import duplicate_repository, import_repository
from cis.service.customers import CustomerService, utcnow
from cis.service.duplicates import DuplicateFinder
from cis.service.imports import ImportService
from cis_local.request_counter import RequestCounter

HEADER = "given_name,family_name,email,phone,birthday,country,postal_code,address_line1,tags,external_id.billing"


@pytest.fixture
def customers(repository, dynamodb):
    return CustomerService(repository, DuplicateFinder(duplicate_repository(dynamodb), utcnow))


@pytest.fixture
def importer(dynamodb, customers):
    blocks = duplicate_repository(dynamodb)
    return ImportService(import_repository(dynamodb), customers, DuplicateFinder(blocks, utcnow), blocks, utcnow)


def load(importer, *rows: str, **options):
    return importer.load(ImportRequest(csv="\n".join([HEADER, *rows]), **options), "import:staff:test")


def by_row(report) -> dict:
    return {result.row: result for result in report.results}


def test_valid_rows_land_and_each_invalid_one_is_reported_with_column_field_and_problem(importer, customers):
    report = load(
        importer,
        "Ada,Lovelace,ada@example.com,+442079460958,1985-12-10,GB,EH7 4AA,14 Elm Row,vip;gym,C-1",
        "Bob,,bob@,,,,,,,",
        ",,,,,,,,,",
        "Cy,Young,cy@example.com,,2999-01-01,XX,,1 Main St,,",
    )
    rows = by_row(report)
    assert (report.created, report.invalid) == (1, 3)
    ada = customers.get(rows[2].customer_id)
    assert (ada.family_name, ada.tags, ada.external_ids) == ("Lovelace", ["vip", "gym"], {"billing": "C-1"})
    assert ada.addresses[0].postal_code == "EH7 4AA" and ada.created_by == "import:staff:test"
    assert rows[3].problems[0].column == "email" and rows[3].problems[0].field == "emails[0].address"
    assert rows[4].problems[0].field == "row"
    assert {p.column for p in rows[5].problems} == {"birthday", "country"}


def test_a_row_fails_with_the_same_words_as_an_api_body(importer):
    from cis.api.errors import validation_problems
    from pydantic import ValidationError

    report = load(importer, "Bob,,bob@,,,,,,,")
    try:
        CustomerCreate.model_validate({"given_name": "Bob", "emails": [{"address": "bob@"}]})
    except ValidationError as error:
        _, _, _, api_fields = validation_problems(error.errors(include_url=False))
    [problem] = report.results[0].problems
    assert (problem.field, problem.problem) == (api_fields[0].path, api_fields[0].problem)


def test_duplicates_of_existing_customers_and_of_earlier_rows_are_skipped_by_default(importer, customers, catch_up):
    existing = customers.create(CustomerCreate(given_name="Ada", family_name="Lovelace", birthday="1985-12-10"), "s")
    catch_up()
    report = load(
        importer,
        "Ada,Lovelace,,,1985-12-10,,,,,",  # existing, by name and birthday
        "Zoe,Quist,zoe@example.com,,,,,,,",
        "Zoë,Quist,ZOE@example.com,,,,,,,",  # same email as the row before
        "Robert,Kline,,,1970-01-02,,,,,",
        "Bob,Kline,,,1970-01-02,,,,,",  # nickname of the row before, same birthday
    )
    rows = by_row(report)
    assert (report.created, report.duplicates) == (2, 3)
    assert rows[2].duplicate_of == existing.id
    assert rows[4].duplicate_of == rows[3].customer_id and rows[6].duplicate_of == rows[5].customer_id


def test_rerunning_the_same_file_adds_nothing(importer, all_items):
    rows = [f"P{i},Person,p{i}@example.com,,,,,,," for i in range(30)] + ["Bad,,bad@,,,,,,,"]
    first = load(importer, *rows, source_id="file-0001")
    items = all_items()
    again = load(importer, *rows, source_id="file-0001")
    assert (first.created, again.created, again.already_imported, again.invalid) == (30, 0, 30, 1)
    assert all_items() == items


def test_a_source_id_used_again_for_other_content_is_refused_and_nothing_is_written(importer, all_items):
    load(importer, "Ada,Lovelace,ada@example.com,,,,,,,", "Bob,Kline,bob@example.com,,,,,,,", source_id="file-0002")
    items = all_items()
    with pytest.raises(Conflict) as refused:
        load(importer, "Ada,Lovelace,ada@example.com,,,,,,,", "Cy,Young,cy@example.com,,,,,,,", source_id="file-0002")
    assert refused.value.code == "source_id_reused" and refused.value.fields[0].path == "source_id"
    assert "row 3" in refused.value.message
    assert all_items() == items


def test_a_source_id_is_the_callers_own_another_caller_with_it_is_not_skipped(importer):
    rows = ["Ada,Lovelace,ada@example.com,,,,,,,"]
    first = load(importer, *rows, source_id="file-0003")
    other = importer.load(ImportRequest(csv="\n".join([HEADER, *rows]), source_id="file-0003"), "import:staff:other")
    # Not "already imported" on the strength of someone else's run: the row is checked, and found.
    assert (other.already_imported, other.duplicates) == (0, 1)
    assert other.results[0].duplicate_of == first.results[0].customer_id


def test_merge_fills_the_existing_customer_from_the_row(importer, customers):
    existing = customers.create(CustomerCreate(given_name="Ada", emails=[{"address": "ada@example.com"}]), "s")
    report = load(importer, "Ada,Lovelace,ada@example.com,+442079460958,,,,,vip,", on_duplicate="merge")
    assert report.merged == 1 and report.results[0].customer_id == existing.id
    merged = customers.get(existing.id)
    assert (merged.family_name, merged.phones[0].number, merged.tags) == ("Lovelace", "+442079460958", ["vip"])
    assert customers.find(key_from_query(email=None, phone="+442079460958", external_id=None)).id == existing.id


def test_create_anyway_remembers_the_likely_duplicate(importer, customers, catch_up):
    existing = customers.create(CustomerCreate(given_name="Ada", family_name="Lovelace", birthday="1985-12-10"), "s")
    catch_up()
    report = load(importer, "Ada,Lovelace,,,1985-12-10,,,,,", on_duplicate="create")
    assert report.created == 1
    assert customers.get(report.results[0].customer_id).distinct_from == [existing.id]


def test_an_import_for_review_creates_the_row_lists_its_pair_and_counts_it(importer, customers, catch_up):
    existing = customers.create(CustomerCreate(given_name="Ada", family_name="Lovelace", birthday="1985-12-10"), "s")
    catch_up()
    report = load(importer, "Ada,Lovelace,,,1985-12-10,,,,,", "Zoe,Quist,zoe@example.com,,,,,,,", on_duplicate="review")
    assert (report.created, report.for_review, report.duplicates) == (2, 1, 0)
    ada, zoe = by_row(report)[2], by_row(report)[3]
    assert ada.for_review == ["~".join(sorted([existing.id, ada.customer_id]))] and zoe.for_review == []
    assert customers.get(ada.customer_id).distinct_from is None
    catch_up()
    [pair] = customers.duplicates.page(10, None).items
    assert pair["customer_ids"] == sorted([existing.id, ada.customer_id])


def test_unknown_columns_are_refused_before_any_row_unless_mapped(importer):
    with pytest.raises(InvalidRequest) as refused:
        importer.load(ImportRequest(csv="Vorname,email\nAda,ada@example.com"), "import:staff:test")
    assert refused.value.fields[0].path == "mapping.Vorname"
    mapped = ImportRequest(
        csv="Vorname,Notes,email\nAda,x,ada@example.com", mapping={"Vorname": "given_name", "Notes": "-"}
    )
    assert importer.load(mapped, "import:staff:test").created == 1


def test_rows_are_written_in_batches_not_one_request_each(importer, repository):
    rows = [f"P{i},Person{i},p{i}@example.com,,,,,,," for i in range(100)]
    counter = RequestCounter(repository.client)
    with counter.measure() as calls:
        report = load(importer, *rows)
    assert report.created == 100
    # 100 customers (one window of WINDOW_ROWS) with their lookups, ledger rows and blocks (two each: mailbox
    # and name), 100 items a go
    assert calls["TransactWriteItems"] == 5
    # The ledger, the lookup items and the rows' 200 blocks, 100 keys a request: no Query per row any more,
    # and no BatchWriteItem of blocking items after the fact.
    assert calls == {"BatchGetItem": 4, "TransactWriteItems": 5}


def test_imported_rows_file_their_blocks_in_their_write_so_a_create_right_after_is_refused(importer, customers):
    report = load(importer, "Robert,Kline,,,1970-01-02,,,,,")
    with pytest.raises(PossibleDuplicate) as refused:  # no stream run between them
        customers.create(CustomerCreate(given_name="Bob", family_name="Kline", birthday="1970-01-02"), "staff:a")
    assert [c.customer_id for c in refused.value.candidates] == [report.results[0].customer_id]


def test_a_row_whose_blocks_a_create_changed_meanwhile_is_checked_again_on_its_own(importer, customers, dynamodb):
    """A create files a look-alike between the import's read of the blocks and its write: the batch is
    cancelled on the block's version, and the row, checked again, is reported as that create's duplicate."""
    blocks = importer.blocks
    read, rivals = blocks.blocks, []

    def read_then_let_a_rival_commit(wanted):
        seen = read(wanted)
        if not rivals:
            rivals.append(
                customers.create(CustomerCreate(given_name="Bob", family_name="Kline", birthday="1970-01-02"), "s")
            )
        return seen

    blocks.blocks = read_then_let_a_rival_commit
    report = load(importer, "Robert,Kline,,,1970-01-02,,,,,", "Zoe,Quist,zoe@example.com,,,,,,,")
    rows = by_row(report)
    assert (rows[2].outcome, rows[2].duplicate_of) == ("duplicate", rivals[0].id)
    assert rows[3].outcome == "created"  # its batch was sent back too, and written on its own


def test_a_window_beaten_by_another_writer_is_checked_again_as_a_whole_not_row_by_row(importer, customers, monkeypatch):
    rows = [f"Ann{i},Lee{i},ann{i}@example.com,,,,,,," for i in range(10)]
    read, raced = importer.blocks.blocks, []

    reads = []

    def blocks_then_a_rival_writes(blocking_keys):
        found = read(blocking_keys)
        reads.append(len(found))
        if not raced:  # another writer files a look-alike of the first row (not the same person) meanwhile
            raced.append(customers.create(CustomerCreate(given_name="Ann0", family_name="Lee0"), "s"))
        return found

    monkeypatch.setattr(importer.blocks, "blocks", blocks_then_a_rival_writes)
    checked_alone = []
    monkeypatch.setattr(importer.finder, "check", lambda record: checked_alone.append(record))
    report = load(importer, *rows)
    assert report.created == 10 and checked_alone == []  # not one row was checked on its own
    assert len(reads) == 2  # the window's blocks, read again once after it lost the race
    assert raced[0].id not in {result.customer_id for result in report.results}
