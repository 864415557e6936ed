"""A whole file through the upload path on the running local API: a URL signed for the file, a real PUT
to moto's S3, the bucket's notification on the work queue, the worker cutting and importing parts."""

import csv

import requests
from cis.topology import Role
from cis_local import tokens
from cis_local.synthetic import import_file
from cis_local.transfer import upload_file

from .conftest import Client


def test_an_uploaded_file_lands_every_valid_row_once_reports_the_rest_and_a_rerun_adds_nothing(bulk_api, tmp_path):
    generated = import_file(rows=700, seed=5)  # two parts: 500 rows and 200
    path = tmp_path / "customers.csv"
    path.write_text(generated.text, encoding="utf-8")
    token = tokens.mint([Role.SALES])

    first = upload_file(bulk_api.url, token, path, {}, "skip", tmp_path / "report.csv", progress=False, poll_s=0.2)
    again = upload_file(bulk_api.url, token, path, {}, "skip", tmp_path / "again.csv", progress=False, poll_s=0.2)

    valid = generated.rows - len(generated.malformed) - len(generated.duplicates)
    report = list(csv.DictReader((tmp_path / "report.csv").open(encoding="utf-8")))
    assert first["created"] == valid
    assert {int(line["row"]) for line in report if line["outcome"] == "invalid"} == generated.malformed
    assert all(
        line["problem"] and (line["column"] or line["field"] == "row")
        for line in report
        if line["outcome"] == "invalid"
    )
    # Parts import side by side: of a row and its twin in another part, either may come first, and the
    # other is then its duplicate. Each person's rows make one customer either way.
    duplicates = {int(line["row"]): line["duplicate_of"] for line in report if line["outcome"] == "duplicate"}
    assert len(duplicates) == len(generated.duplicates) and all(duplicates.values())
    people: dict[int, set[int]] = {}  # the first row of a person -> every row of that person
    for row, twin in sorted(generated.duplicates.items()):
        first = next((start for start, rows in people.items() if twin in rows), twin)
        people.setdefault(first, {first}).add(row)
    assert all(len(rows - set(duplicates)) == 1 for rows in people.values())  # one row of each created
    assert (again["created"], again["already_imported"]) == (0, valid + len(generated.duplicates))


def test_the_upload_url_takes_one_put_and_the_import_tells_its_state(bulk_api, tmp_path):
    sales = Client(bulk_api.url, [Role.SALES])
    started = sales.post("/v1/imports/uploads", json={"file_name": "two.csv"})
    assert started.status_code == 201
    job = started.json()
    assert job["status"] == "awaiting_upload" and job["upload"]["method"] == "PUT"
    assert sales.get(f"/v1/imports/{job['import_id']}").json()["status"] == "awaiting_upload"
    put = requests.put(job["upload"]["url"], data=b"given_name,email\nUma,uma.upload@example.com\n", timeout=30)
    assert put.status_code == 200
    state = _until_finished(sales, job["import_id"])
    assert (state["status"], state["counts"]["created"], state["parts"]) == ("done", 1, {"total": 1, "done": 1})
    assert "upload" not in state or state["upload"] is None  # the URL is given once, to whoever started it
    bad = sales.post("/v1/imports/uploads", json={"file_name": "x.csv"}).json()
    requests.put(bad["upload"]["url"], data=b"Vorname\nAda\n", timeout=30)
    failed = _until_finished(sales, bad["import_id"])
    assert failed["status"] == "failed" and "unknown column(s) Vorname" in failed["problem"]


def test_only_those_who_may_import_start_or_read_an_upload_and_a_bad_request_says_why(bulk_api):
    marketing = Client(bulk_api.url, [Role.MARKETING])
    assert marketing.post("/v1/imports/uploads", json={}).status_code == 403
    assert marketing.get("/v1/imports/01J0000000000000000000000Z").status_code == 403
    sales = Client(bulk_api.url, [Role.SALES])
    assert sales.get("/v1/imports/01J0000000000000000000000Z").status_code == 404
    wrong = sales.post("/v1/imports/uploads", json={"on_duplicate": "sometimes"})
    assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["path"] == "on_duplicate"


def _until_finished(client: Client, import_id: str, timeout_s: float = 60) -> dict:
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        state = client.get(f"/v1/imports/{import_id}").json()
        if state["status"] in ("done", "failed") or time.monotonic() > deadline:
            return state
        time.sleep(0.2)
