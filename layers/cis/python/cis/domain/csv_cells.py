"""CSV cells a spreadsheet reads as data, never as a formula (OWASP: CSV injection).

Every CSV the system writes (the customer export, the import reports) goes through `InertDictWriter`:
a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is written with a single
quote in front, so Excel, LibreOffice and Google Sheets show it as text instead of running it
(`=HYPERLINK("http://x","y")`, `@SUM(...)`, `-2+3+cmd|' /C calc'!A0`).

One exception, on purpose: a cell that is a plain number (an optional sign, digits, an optional
decimal part: `-5`, `+4915112345678`, `-0.50`) is written as it is. A spreadsheet reads it as that
same number and no formula can hide in digits, while a quote would turn E.164 phone numbers and
negative amounts into text and stop them re-importing as they were.

Reading CSV, `revived` takes the quote off again, so an export imports back unchanged. For that to be
exact, a cell that is already quotes followed by one of those characters (`'=x`) gets one more
quote too: `revived(inert(text)) == text` for every text.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
QUOTE = "'"
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def inert(value: Any) -> str:
    """The cell's text as written: quoted in front when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.lstrip(QUOTE).startswith(TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return QUOTE + text
    return text


def revived(text: str) -> str:
    """A cell as read back: without the quote `inert` put in front of it."""
    return text[1:] if text.startswith(QUOTE) and text[1:].lstrip(QUOTE).startswith(TRIGGERS) else text


class InertDictWriter(csv.DictWriter):
    """csv.DictWriter whose every cell, the header's too, is written `inert`."""

    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({name: inert(value) for name, value in rowdict.items()})

    def writerows(self, rowdicts: Iterable[Mapping[str, Any]]) -> None:
        for row in rowdicts:
            self.writerow(row)
