"""Finding likely duplicates: before a create, and after every change to a profile (the stream's work)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from cis.domain.duplicates import DuplicateCandidate
from cis.domain.matching import Fingerprint, Match, compare
from cis.repository.customers import Page

MAX_CANDIDATES = 5  # what a person can weigh in one answer; the list of pairs keeps the rest


class Repository(Protocol):
    def neighbours(self, probe_keys) -> dict[str, dict]: ...
    def file(self, customer_id, before, after, distinct_from) -> None: ...
    def pairs_of(self, customer_id: str) -> set[str]: ...
    def save_pairs(self, customer_id, matches, stale, now) -> None: ...
    def page(self, limit: int, cursor: str | None) -> Page: ...


def _active(profile: dict | None) -> bool:
    return bool(profile) and profile.get("status", "active") == "active" and "merged_into" not in profile


class DuplicateFinder:
    def __init__(self, repository: Repository, clock: Callable[[], datetime]):
        self.repository = repository
        self.clock = clock

    def _matches(self, record: dict, exclude: str | None = None) -> dict[str, Match]:
        fingerprint = Fingerprint.of(record)
        kept_apart = set(record.get("distinct_from") or [])
        matches = {}
        for other_id, filed in self.repository.neighbours(fingerprint.probe_keys()).items():
            if other_id == exclude or other_id in kept_apart or exclude in (filed.get("distinct_from") or []):
                continue
            match = compare(fingerprint, Fingerprint.from_dict(filed["fingerprint"]))
            if match.listed:
                matches[other_id] = match
        return matches

    def candidates(self, record: dict) -> list[DuplicateCandidate]:
        """Existing customers a new record (as JSON) likely duplicates, most likely first."""
        likely = [(other, match) for other, match in self._matches(record).items() if match.likely]
        likely.sort(key=lambda pair: (-pair[1].score, pair[0]))
        return [DuplicateCandidate.of(other, match) for other, match in likely[:MAX_CANDIDATES]]

    def refresh(self, before: dict | None, after: dict | None) -> None:
        """A profile changed: refile it and bring its pairs up to date. Safe to repeat."""
        old = Fingerprint.of(before) if _active(before) else None
        new = Fingerprint.of(after) if _active(after) else None
        apart_before = (before or {}).get("distinct_from") or []
        apart_after = (after or {}).get("distinct_from") or []
        if old == new and apart_before == apart_after:
            return  # nothing matching looks at has changed
        customer_id = (after or before)["id"]
        self.repository.file(customer_id, old, new, apart_after)
        matches = self._matches(after, exclude=customer_id) if new else {}
        stale = self.repository.pairs_of(customer_id) - set(matches)
        self.repository.save_pairs(customer_id, matches, stale, self.clock())

    def page(self, limit: int, cursor: str | None) -> Page:
        return self.repository.page(limit, cursor)
