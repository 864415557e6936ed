"""`cis import` and `cis export` against the running local API: a generated file, checked row by row."""

import csv
import io
import json

from cis.topology import Role
from cis_local import tokens
from cis_local.synthetic import import_file
from cis_local.transfer import export
from cis_local.transfer import import_file as run_import

from .conftest import Client


def test_an_import_lands_valid_rows_reports_bad_ones_skips_duplicates_and_a_rerun_adds_nothing(bulk_api, tmp_path):
    generated = import_file(rows=120, seed=3)
    path = tmp_path / "customers.csv"
    path.write_text(generated.text, encoding="utf-8")
    token = tokens.mint([Role.SUPPORT])

    first = run_import(bulk_api.url, token, path, {}, "skip", tmp_path / "report.csv", chunk_rows=50, progress=False)
    again = run_import(bulk_api.url, token, path, {}, "skip", tmp_path / "again.csv", chunk_rows=50, progress=False)

    valid = generated.rows - len(generated.malformed) - len(generated.duplicates)
    report = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert first["created"] == valid
    assert {int(line["row"]) for line in report if line["outcome"] == "invalid"} == generated.malformed
    # Each problem names its column, or the whole row (a row with nothing that identifies anyone).
    assert all(
        (line["column"] or line["field"] == "row") and line["problem"]
        for line in report
        if line["outcome"] == "invalid"
    )
    duplicates = {int(line["row"]): line["duplicate_of"] for line in report if line["outcome"] == "duplicate"}
    assert set(duplicates) == set(generated.duplicates) and all(duplicates.values())
    assert (again["created"], again["already_imported"]) == (0, valid + len(generated.duplicates))


def test_marketing_may_not_import_and_a_bad_chunk_is_refused_whole(bulk_api):
    assert (
        Client(bulk_api.url, [Role.MARKETING]).post("/v1/imports", json={"csv": "given_name\nAda"}).status_code == 403
    )
    support = Client(bulk_api.url, [Role.SUPPORT])
    unknown = support.post("/v1/imports", json={"csv": "Vorname\nAda"})
    assert unknown.status_code == 400 and unknown.json()["error"]["fields"] == [
        {"path": "mapping.Vorname", "problem": "unknown column"}
    ]
    mapped = support.post("/v1/imports", json={"csv": "Vorname\nAda", "mapping": {"Vorname": "given_name"}})
    assert mapped.status_code == 200 and mapped.json()["created"] == 1


def test_an_export_holds_every_customer_and_its_csv_imports_back_as_already_there(bulk_api, unique):
    support = Client(bulk_api.url, [Role.SUPPORT])
    body = {"given_name": "Exa", "family_name": f"Port{unique}", "emails": [{"address": f"exa.{unique}@example.com"}]}
    created = support.post("/v1/customers", params={"allow_duplicate": "true"}, json=body).json()
    token = tokens.mint([Role.SUPPORT])

    lines = io.StringIO()
    export(bulk_api.url, token, lines, "jsonl")
    exported = {record["id"]: record for record in map(json.loads, lines.getvalue().splitlines())}
    assert exported[created["id"]]["emails"][0]["address"] == f"exa.{unique}@example.com"

    table = io.StringIO()
    export(bulk_api.url, token, table, "csv")
    rows = [row for row in csv.DictReader(io.StringIO(table.getvalue())) if row["id"] == created["id"]]
    assert rows and rows[0]["email"] == f"exa.{unique}@example.com"
    only_mine = "\n".join([table.getvalue().splitlines()[0], *[",".join(f'"{v}"' for v in rows[0].values())]])
    back = support.post("/v1/imports", json={"csv": only_mine}).json()
    assert (back["created"], back["duplicates"], back["results"][0]["duplicate_of"]) == (0, 1, created["id"])


def test_a_row_with_a_bad_birthday_is_reported_with_its_other_problems_and_the_rest_land(bulk_api, unique):
    support = Client(bulk_api.url, [Role.SUPPORT])
    text = (
        "given_name,email,birthday,locale\n"
        f"Ada,ada.{unique}-at-example.com,19371233,en_GB\n"
        f"Bea,bea.{unique}@example.com,2023-02-29,\n"
        f"Cy,cy.{unique}@example.com,1937-12-03,\n"
    )
    report = support.post("/v1/imports", json={"csv": text})
    assert report.status_code == 200, report.text
    first, second, third = report.json()["results"]
    assert first["outcome"] == "invalid"
    assert [(p["column"], p["field"]) for p in first["problems"]] == [
        ("email", "emails[0].address"),
        ("birthday", "birthday"),
        ("locale", "locale"),
    ]
    assert "YYYY-MM-DD" in first["problems"][1]["problem"]
    assert second["outcome"] == "invalid" and second["problems"][0]["field"] == "birthday"
    assert "not a real date" in second["problems"][0]["problem"]
    assert third["outcome"] == "created"


def test_cis_import_for_review_creates_look_alikes_counts_them_and_names_their_pairs_in_the_report(
    bulk_api, unique, tmp_path
):
    support = Client(bulk_api.url, [Role.SUPPORT])
    family = f"Lindqvist{unique}"
    first = support.post(
        "/v1/customers", json={"given_name": "Robert", "family_name": family, "birthday": "1980-05-17"}
    )
    path = tmp_path / "look-alikes.csv"
    path.write_text(f"given_name,family_name,birthday\nBob,{family},1980-05-17\n", encoding="utf-8")
    token = tokens.mint([Role.SUPPORT])

    totals = run_import(bulk_api.url, token, path, {}, "review", tmp_path / "report.csv", progress=False)

    assert (totals["created"], totals["for_review"]) == (1, 1)
    [line] = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    bob = line["customer_id"]
    assert line["outcome"] == "created"
    assert line["problem"] == "listed for review: " + "~".join(sorted([first.json()["id"], bob]))
    assert support.get(f"/v1/customers/{bob}").json()["distinct_from"] is None
