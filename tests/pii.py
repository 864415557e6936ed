"""Personal data in log lines: any email address, and the phone numbers the tests and demo data use."""

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

import phonenumbers

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
E164 = re.compile(r"(?<![\w+])\+[1-9]\d{9,14}\b")  # however the number was made, as stored
# A phone number as test code writes one: a quoted literal of digits, spaces and + ( ) . -
PHONE_LITERAL = re.compile(r"""["'](\+?\(?\d[\d ().-]{6,}\d)["']""")
ROOT = Path(__file__).resolve().parents[1]
RUN_LOGS = Path(tempfile.mkdtemp(prefix="cis-test-logs-"))  # this run's log files, searched at its end
SOURCES = ("tests", "local/cis_local", "bench")


def test_phone_numbers(root: Path = ROOT) -> set[str]:
    """Every phone number in the test, demo and bench sources, as written and in E.164."""
    found: set[str] = set()
    for folder in SOURCES:
        for source in (root / folder).rglob("*.py"):
            for literal in PHONE_LITERAL.findall(source.read_text(encoding="utf-8")):
                try:
                    number = phonenumbers.parse(literal, "US")
                except phonenumbers.NumberParseException:
                    continue
                if phonenumbers.is_valid_number(number):
                    found |= {literal, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)}
    return found


def search_logs(folder: Path, phones: Iterable[str]) -> list[tuple[str, str]]:
    """(file:line, line) for each log line holding an email address or one of the phone numbers."""
    phones = sorted(phones, key=len, reverse=True)
    hits = []
    for log in sorted(folder.glob("*.log")):
        with log.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines, 1):
                if EMAIL.search(line) or E164.search(line) or any(phone in line for phone in phones):
                    hits.append((f"{log.name}:{number}", line.rstrip()))
    return hits
