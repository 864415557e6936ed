"""`cis import` and `cis export`: customers in and out as CSV (or JSON lines), through the API.

The command line is a client like any other: it sends a file in chunks to POST /v1/imports and
pages GET /v1/customers for an export, so the same rules, roles and audit apply as for any caller.
A file's source id is the hash of its bytes and column mapping: run the same file again (after an
interruption, say) and rows already imported are recognised and skipped on the server.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import time
from collections import Counter
from pathlib import Path

import requests
from cis.domain.csv_cells import InertDictWriter
from cis.domain.customer_csv import CUSTOMER_CSV
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.util.retry import Retry

REPORT_COLUMNS = ["row", "outcome", "column", "field", "problem", "customer_id", "duplicate_of", "score"]


def session(token: str) -> requests.Session:
    """Retries what is worth retrying: throttling and the gateway's own hiccups (the API is idempotent here)."""
    http = requests.Session()
    retry = Retry(total=5, backoff_factor=0.5, status_forcelist=(429, 502, 503, 504), allowed_methods=None)
    http.mount("http://", HTTPAdapter(max_retries=retry))
    http.mount("https://", HTTPAdapter(max_retries=retry))
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def source_id(data: bytes, mapping: dict[str, str]) -> str:
    return hashlib.sha256(data + json.dumps(mapping, sort_keys=True).encode()).hexdigest()[:32]


def chunks(text: str, size: int):
    """(first row number, CSV text with the header) for every `size` rows; the header is row 1."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return
    batch: list[list[str]] = []
    first = 2
    for row in reader:
        batch.append(row)
        if len(batch) == size:
            yield first, _csv([header, *batch]), len(batch)
            first, batch = first + len(batch), []
    if batch:
        yield first, _csv([header, *batch]), len(batch)


def _csv(rows: list[list[str]]) -> str:
    # The user's own rows, cut into chunks for the API, which reads them: not a spreadsheet's export,
    # so left as they are (cis.domain.csv_cells is for what people open).
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def import_file(
    url: str,
    token: str,
    path: Path,
    mapping: dict[str, str],
    on_duplicate: str,
    report_path: Path,
    chunk_rows: int = 200,
    progress: bool = True,
) -> Counter:
    data = path.read_bytes()
    text = data.decode("utf-8-sig")  # spreadsheets often save a byte-order mark
    source = source_id(data, mapping)
    total = max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
    http, totals = session(token), Counter()
    with report_path.open("w", newline="", encoding="utf-8") as report_file:
        report = InertDictWriter(report_file, REPORT_COLUMNS)
        report.writeheader()
        with tqdm(total=total, unit="row", disable=not progress, file=sys.stderr) as bar:
            for first, chunk, count in chunks(text, chunk_rows):
                body = {
                    "csv": chunk,
                    "first_row": first,
                    "source_id": source,
                    "mapping": mapping,
                    "on_duplicate": on_duplicate,
                }
                response = http.post(f"{url}/v1/imports", json=body, timeout=60)
                if response.status_code != 200:
                    raise SystemExit(f"the import stopped at row {first}: {response.status_code} {response.text}")
                answer = response.json()
                for result in answer["results"]:
                    totals[result["outcome"]] += 1
                    if result.get("for_review"):
                        totals["for_review"] += 1
                    _report_lines(report, result)
                bar.update(count)
                bar.set_postfix(created=totals["created"], invalid=totals["invalid"], duplicates=totals["duplicate"])
    return totals


def upload_file(
    url: str,
    token: str,
    path: Path,
    mapping: dict[str, str],
    on_duplicate: str,
    report_path: Path,
    progress: bool = True,
    poll_s: float = 1.0,
    timeout_s: float = 4 * 3600,
) -> Counter:
    """The whole file through the upload path: ask for an upload URL, PUT the file there, follow the
    import's parts to the end, then write its report. The counts, as import_file gives them."""
    http = session(token)
    started = http.post(
        f"{url}/v1/imports/uploads", json={"file_name": path.name, "mapping": mapping, "on_duplicate": on_duplicate}
    )
    if started.status_code != 201:
        raise SystemExit(f"the import could not start: {started.status_code} {started.text}")
    job, upload = started.json(), started.json()["upload"]
    put = requests.request(
        upload["method"], upload["url"], data=path.read_bytes(), headers=upload["headers"], timeout=300
    )
    if put.status_code >= 300:
        raise SystemExit(f"the upload failed: {put.status_code} {put.text[:500]}")
    state = _follow(http, f"{url}/v1/imports/{job['import_id']}", progress, poll_s, timeout_s)
    if state["status"] == "failed":
        raise SystemExit(f"the import failed: {state['problem']}")
    counts = state["counts"]
    totals = Counter({"created": counts["created"], "invalid": counts["invalid"], "duplicate": counts["duplicates"]})
    totals.update(
        {name: counts[name] for name in ("merged", "already_imported", "for_review", "not_imported") if counts[name]}
    )
    with report_path.open("w", newline="", encoding="utf-8") as report_file:
        report = InertDictWriter(report_file, REPORT_COLUMNS)
        report.writeheader()
        cursor = None
        while True:
            page = http.get(
                f"{url}/v1/imports/{job['import_id']}", params={"limit": 500} | ({"cursor": cursor} if cursor else {})
            ).json()
            for result in page["report"]:
                _report_lines(report, result)
            if not (cursor := page["next_cursor"]):
                break
    return +totals


def _follow(http: requests.Session, address: str, progress: bool, poll_s: float, timeout_s: float) -> dict:
    """The import's state, polled until it is done or failed, with its parts as a progress bar."""
    deadline = time.monotonic() + timeout_s
    with tqdm(unit="part", disable=not progress, file=sys.stderr) as bar:
        while True:
            state = http.get(address, params={"limit": 0}).json()  # the state alone: one read
            bar.total = state["parts"]["total"]
            bar.update(state["parts"]["done"] - bar.n)
            if state["status"] in ("done", "failed"):
                return state
            if time.monotonic() > deadline:
                raise SystemExit(f"the import did not finish within {timeout_s:.0f} s: {state['status']}")
            time.sleep(poll_s)


def _report_lines(report: InertDictWriter, result: dict) -> None:
    base = {name: result.get(name) for name in ("row", "outcome", "customer_id", "duplicate_of", "score")}
    if result["outcome"] == "created":
        if result.get("for_review"):  # created beside likely duplicates: the pairs to look at
            report.writerow(base | {"problem": "listed for review: " + " ".join(result["for_review"])})
        return
    for problem in result.get("problems") or [{}]:
        report.writerow(base | {name: problem.get(name, "") for name in ("column", "field", "problem")})


def customers(url: str, token: str, status: str = "active"):
    http, cursor = session(token), None
    while True:
        params = {"limit": 100, "status": status} | ({"cursor": cursor} if cursor else {})
        response = http.get(f"{url}/v1/customers", params=params, timeout=60)
        response.raise_for_status()
        page = response.json()
        yield from page["items"]
        if not (cursor := page["next_cursor"]):
            return


def export(url: str, token: str, out, kind: str) -> int:
    """Every active customer, as JSON lines (all fields) or CSV (the import's columns, every cell inert:
    cis.domain.csv_cells)."""
    count = 0
    if kind == "jsonl":
        for customer in customers(url, token):
            out.write(json.dumps(customer) + "\n")
            count += 1
        return count
    rows = [CUSTOMER_CSV.to_row(customer) for customer in customers(url, token)]
    writer = InertDictWriter(out, CUSTOMER_CSV.header(rows), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)
