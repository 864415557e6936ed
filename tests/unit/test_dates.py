"""Dates and times from clients: text in one documented form, never a number read as Unix time.

pydantic's lax mode reads 86400, "86400" and "19371233" as seconds since 1970 (a day of 1970, or
an "inexact date" error that names no format). Every date and time a client sends goes through
cis.domain.moments.Day and Moment, so each one is refused with the form it wants, at its field.
"""

import json
from datetime import date

import pytest
from cis.domain.consent import ConsentIn
from cis.domain.customer import CustomerCreate, CustomerPatch
from cis.domain.imports import parse_csv, validate
from cis.domain.interactions import InteractionIn
from cis.domain.moments import parse_day
from cis.domain.problems import field_problems
from cis.domain.subscriptions import Renewal, SubscriptionFields
from cis.service.schedule import day_and_cursor
from pydantic import TypeAdapter, ValidationError

NOT_DAYS = [
    ("86400", "YYYY-MM-DD"),  # pydantic alone: 1970-01-02
    ("19371233", "YYYY-MM-DD"),  # pydantic alone: "should have zero time", no form named
    ("20231201", "YYYY-MM-DD"),
    ("1937-12-33", "not a real date (day is out of range for month)"),
    ("2023-02-29", "not a real date (day is out of range for month)"),
    ("1937-13-01", "not a real date (month must be in 1..12)"),
    ("1985-12-10T00:00:00", "YYYY-MM-DD"),
    ("10/12/1985", "YYYY-MM-DD"),
    (86400, "a number is not read as a date"),
    (19371233.0, "a number is not read as a date"),
    (True, "a number is not read as a date"),
]


def problems(model, body: dict) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as error:
        model.model_validate(body)
    return [(problem.path, problem.problem) for problem in field_problems(error.value.errors())]


def problems_of_json(model, body: dict) -> list[tuple[str, str]]:
    """As the API parses a body: from JSON text."""
    with pytest.raises(ValidationError) as error:
        model.model_validate_json(json.dumps(body))
    return [(problem.path, problem.problem) for problem in field_problems(error.value.errors())]


@pytest.mark.parametrize(("value", "says"), NOT_DAYS)
def test_a_birthday_that_is_not_a_yyyy_mm_dd_day_is_refused_at_its_field_saying_the_form(value, says):
    for check in (problems, problems_of_json):
        for model in (CustomerCreate, CustomerPatch):
            found = check(model, {"given_name": "Ada", "birthday": value})
            assert [path for path, _ in found] == ["birthday"]
            assert says in found[0][1] and "YYYY-MM-DD" in found[0][1]


def test_a_real_birthday_still_reads_and_null_still_removes():
    assert CustomerCreate.model_validate({"given_name": "Ada", "birthday": "1985-12-10"}).birthday == date(1985, 12, 10)
    assert CustomerPatch.model_validate({"birthday": None}).independent_changes() == {"birthday": None}
    assert CustomerCreate.model_validate({"given_name": "Ada", "birthday": date(1985, 12, 10)}).birthday.day == 10


@pytest.mark.parametrize(("value", "says"), NOT_DAYS)
def test_subscription_days_take_the_same_type(value, says):
    base = {"plan": "gym", "price": "9.99", "currency": "EUR", "renews_at": "2027-01-31"}
    found = problems_of_json(SubscriptionFields, base | {"renews_at": value})
    assert [path for path, _ in found] == ["renews_at"] and says in found[0][1]
    found = problems_of_json(Renewal, {"expected_renews_at": value})
    assert [path for path, _ in found] == ["expected_renews_at"] and says in found[0][1]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("1700000000", "ISO 8601 text with a time zone"),
        ("86400", "ISO 8601 text with a time zone"),
        (1700000000, "a number is not read as a time"),
        ("2023-02-29T10:00:00Z", "not a real time (day is out of range for month)"),
        ("2023-02-28T24:00:00Z", "not a real time (hour must be in 0..23)"),
        ("2023-02-28", "ISO 8601 text with a time zone"),
    ],
)
def test_times_refuse_numbers_and_impossible_moments_at_their_field(value, says):
    interaction = TypeAdapter(InteractionIn)
    with pytest.raises(ValidationError) as error:
        interaction.validate_json(json.dumps({"type": "note", "text": "hi", "occurred_at": value}))
    (found,) = field_problems(error.value.errors())
    assert found.path.endswith("occurred_at") and says in found.problem
    for name in ("captured_at", "effective_from", "effective_to"):
        found = problems_of_json(ConsentIn, {"status": "granted", "source": "web", name: value})
        assert [path for path, _ in found] == [name] and says in found[0][1]
    base = {"plan": "gym", "price": "9.99", "currency": "EUR", "renews_at": "2027-01-31"}
    found = problems_of_json(SubscriptionFields, base | {"started_at": value})
    assert [path for path, _ in found] == ["started_at"] and says in found[0][1]


def test_an_import_row_reports_the_bad_date_and_every_other_problem_of_the_row():
    text = "given_name,email,birthday,locale\nAda,ada-at-example.com,19371233,en_GB\nBob,bob@example.com,2023-02-29,\n"
    first, second = (validate(row) for row in parse_csv(text, {}, 2))
    assert [(p["column"], p["field"]) for p in first] == [
        ("email", "emails[0].address"),
        ("birthday", "birthday"),
        ("locale", "locale"),
    ]
    assert "YYYY-MM-DD" in first[1]["problem"]
    assert second == [
        {
            "column": "birthday",
            "field": "birthday",
            "problem": "not a real date (day is out of range for month): give one as YYYY-MM-DD, such as 1985-12-10",
        }
    ]


def test_a_job_day_typed_by_a_person_is_a_real_yyyy_mm_dd_day():
    assert day_and_cursor({"date": "2026-12-01"}, None) == (date(2026, 12, 1), None)
    for wrong in ("20261201", "1764547200", "2026-02-30"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            day_and_cursor({"date": wrong}, None)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_day(20261201)
