"""Safe exports over HTTP: every CSV the system writes (the customer export, both import reports) holds
no cell a spreadsheet would run, and names that hide or reorder text are refused where they come in."""

import csv
import io

from cis.topology import Role
from cis_local import tokens
from cis_local.transfer import export, upload_file
from cis_local.transfer import import_file as run_import

from .conftest import Client

S = Role.SUPPORT
FORMULA = '=HYPERLINK("http://x","y")'


def error(response) -> dict:
    return response.json()["error"]


def test_a_name_with_a_bidi_override_or_control_character_is_a_422_naming_the_field_on_create_and_patch(
    as_role, unique
):
    support = as_role(S)
    email = {"address": f"bidi.{unique}@example.com"}
    refused = support.post("/v1/customers", json={"given_name": "Ada\u202eecalp", "emails": [email]})
    assert refused.status_code == 422, refused.text
    [problem] = error(refused)["fields"]
    assert problem["path"] == "given_name"
    assert "bidirectional override or isolate (U+202E RIGHT-TO-LEFT OVERRIDE" in problem["problem"]
    assert error(refused)["message"].startswith("given_name: contains a bidirectional")

    customer = support.post("/v1/customers", json={"given_name": "Ada", "emails": [email]}).json()
    path = f"/v1/customers/{customer['id']}"
    for field, value, says in [
        ("display_name", "Ada\x07Lovelace", "control character (U+0007"),
        ("family_name", "Love\nlace", "control character (U+000A"),
        ("family_name", "\u2066Lovelace\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ]:
        patched = support.patch(path, json={field: value})
        assert patched.status_code == 422, (field, patched.text)
        assert error(patched)["fields"][0]["path"] == field and says in error(patched)["fields"][0]["problem"]
    assert support.get(path).json()["version"] == 1  # nothing was written


def test_an_imported_row_with_such_a_name_is_reported_under_its_column_and_the_rest_land(bulk_api, unique):
    support = Client(bulk_api.url, [S])
    text = f"given_name,email\nAda\u2067x,ada.{unique}@example.com\nBea,bea.{unique}@example.com\n"
    report = support.post("/v1/imports", json={"csv": text})
    assert report.status_code == 200, report.text
    first, second = report.json()["results"]
    assert first["outcome"] == "invalid" and second["outcome"] == "created"
    assert [(p["column"], p["field"]) for p in first["problems"]] == [("given_name", "given_name")]
    assert "bidirectional" in first["problems"][0]["problem"]


def test_the_customer_export_writes_formula_cells_inert_and_plain_numbers_and_phones_as_they_are(bulk_api, unique):
    support = Client(bulk_api.url, [S])
    phone = f"+49151{int(unique, 16) % 10**8:08d}"
    body = {
        "given_name": "Exa",
        "family_name": FORMULA,
        "emails": [{"address": f"inert.{unique}@example.com"}],
        "phones": [{"number": phone}],
        "custom_attributes": {"balance": -5, "memo": "@SUM(A1:A9)", "plain": "Ordinary words"},
    }
    created = support.post("/v1/customers", params={"allow_duplicate": "true"}, json=body)
    assert created.status_code == 201, created.text

    table = io.StringIO()
    export(bulk_api.url, tokens.mint([S]), table, "csv")
    header, *rows = list(csv.reader(io.StringIO(table.getvalue())))
    [row] = [dict(zip(header, cells, strict=True)) for cells in rows if cells[0] == created.json()["id"]]
    assert row["family_name"] == "'" + FORMULA
    assert row["custom.memo"] == "'@SUM(A1:A9)"
    assert (row["given_name"], row["custom.plain"], row["custom.balance"], row["phone"]) == (
        "Exa",
        "Ordinary words",
        "-5",
        phone,
    )

    # The export imports back: the quote comes off, the formula is stored as the text it was.
    row |= {"email": f"inert.again.{unique}@example.com", "phone": ""}
    again = io.StringIO()
    csv.writer(again, lineterminator="\n").writerows([header, [row[name] for name in header]])
    back = support.post("/v1/imports", json={"csv": again.getvalue(), "on_duplicate": "create"}).json()
    [result] = back["results"]
    assert result["outcome"] == "created", result
    copy = support.get(f"/v1/customers/{result['customer_id']}").json()
    assert copy["family_name"] == FORMULA and copy["custom_attributes"]["memo"] == "@SUM(A1:A9)"


def formula_column_file(tmp_path, unique):
    """A file whose email column is named like a formula: the report names the column of each problem."""
    path = tmp_path / "formula-column.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out, lineterminator="\n").writerows([[FORMULA, "given_name"], [f"no-at-sign-{unique}", "Ada"]])
    return path, {FORMULA: "email"}


def test_cis_import_writes_its_report_with_formula_cells_inert(bulk_api, unique, tmp_path):
    path, mapping = formula_column_file(tmp_path, unique)
    report_path = tmp_path / "report.csv"
    totals = run_import(bulk_api.url, tokens.mint([S]), path, mapping, "skip", report_path, progress=False)
    assert totals["invalid"] == 1
    [line] = list(csv.DictReader(report_path.open(encoding="utf-8")))
    assert (line["row"], line["column"], line["field"]) == ("2", "'" + FORMULA, "emails[0].address")


def test_cis_import_upload_writes_its_report_with_formula_cells_inert(bulk_api, unique, tmp_path):
    path, mapping = formula_column_file(tmp_path, unique)
    report_path = tmp_path / "report.csv"
    token = tokens.mint([S])
    totals = upload_file(bulk_api.url, token, path, mapping, "skip", report_path, progress=False, poll_s=0.2)
    assert totals["invalid"] == 1
    [line] = list(csv.DictReader(report_path.open(encoding="utf-8")))
    assert (line["row"], line["column"], line["field"]) == ("2", "'" + FORMULA, "emails[0].address")
