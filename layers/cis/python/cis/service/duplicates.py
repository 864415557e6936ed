"""Finding likely duplicates: before a create, on the blocks the create's own transaction files it
in (so it sees every committed record), and after every change to a profile (the stream lists pairs)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Literal, Protocol

from cis.domain.duplicates import DuplicateCandidate
from cis.domain.matching import Fingerprint, Match, compare
from cis.repository.customers import Page
from cis.repository.duplicates import Block, Filing, fingerprint_of, members_of
from cis.repository.transactions import Action

MAX_CANDIDATES = 5  # what a person can weigh in one answer; the list of pairs keeps the rest


class Repository(Protocol):
    def blocks(self, blocking_keys: Iterable[str]) -> dict[str, Block]: ...
    def filing(self, seen: dict[str, Block]) -> Filing: ...
    def pairs_of(self, customer_id: str) -> set[str]: ...
    def pair_requests(self, customer_id, matches, stale, now) -> list[dict]: ...
    def page(self, limit: int, cursor: str | None, min_score: float = 0) -> Page: ...
    def refiling(self, changes: list[tuple[str, dict | None, dict | None]]) -> Filing: ...
    def pair_deletes(self, customer_id: str, other_id: str) -> list[Action]: ...


def _keys(fingerprint: Fingerprint | None) -> set[str]:
    return fingerprint.blocking_keys() if fingerprint else set()


Known = dict[str, tuple[dict, Fingerprint]]  # member id -> its entry's fingerprint, as read and as made


def matches_among(
    neighbours: dict[str, dict],
    record: dict,
    exclude: str | None = None,
    listed: bool = True,
    fingerprint: Fingerprint | None = None,
    known: Known | None = None,
) -> dict[str, Match]:
    """The neighbours (id -> block entry) worth listing with the record (likely ones only: listed=False).
    `fingerprint`: the record's, when the caller has it; `known`: the neighbours' fingerprints made so
    far by the caller (kept across calls on the same blocks, so each entry is read once)."""
    fingerprint = fingerprint or Fingerprint.of(record)
    kept_apart = set(record.get("distinct_from") or [])
    known = {} if known is None else known
    matches = {}
    for other_id, filed in neighbours.items():
        if other_id == exclude or other_id in kept_apart or (exclude and exclude in (filed.get("distinct_from") or [])):
            continue
        made = known.get(other_id)
        if made is None or made[0] is not filed["fingerprint"]:  # the same entry, not one alike
            made = known[other_id] = (filed["fingerprint"], Fingerprint.from_dict(filed["fingerprint"]))
        match = compare(fingerprint, made[1])
        if match.listed if listed else match.likely:
            matches[other_id] = match
    return matches


def most_likely(matches: dict[str, Match]) -> list[DuplicateCandidate]:
    likely = sorted(((other, m) for other, m in matches.items() if m.likely), key=lambda p: (-p[1].score, p[0]))
    return [DuplicateCandidate.of(other, match) for other, match in likely[:MAX_CANDIDATES]]


class Check:
    """A record's blocks as read (one BatchGetItem), its likely duplicates among them, and the block
    writes that file it, conditional on those same versions: they commit only if nothing changed."""

    def __init__(self, repository: Repository, seen: dict[str, Block], before: dict | None, after: dict | None):
        self.repository, self.seen, self.before, self.after = repository, seen, before, after

    def candidates(self, customer_id: str | None = None) -> list[DuplicateCandidate]:
        """Existing customers the (new) record likely duplicates, most likely first."""
        if self.after is None:
            return []
        probed = Fingerprint.of(self.after).probe_keys()
        return most_likely(matches_among(members_of(self.seen, probed), self.after, customer_id, listed=False))

    def actions(self, customer_id: str, after: dict | None = None, checked: bool = True) -> list[Action]:
        """The block writes filing the customer (as `after`, default the record checked), on the blocks
        read; with `checked`, the probed blocks must be unchanged too (what the candidates came from)."""
        after = self.after if after is None else after
        filing = self.repository.filing(self.seen)
        new = fingerprint_of(after)
        filing.file(customer_id, fingerprint_of(self.before), new, (after or {}).get("distinct_from"))
        if checked and new:
            filing.check(new.probe_keys())
        return filing.actions()


class DuplicateFinder:
    def __init__(self, repository: Repository, clock: Callable[[], datetime]):
        self.repository = repository
        self.clock = clock

    def check(self, record: dict | None, before: dict | None = None) -> Check:
        """Read the blocks a record (`before` -> `record`, as JSON; None: neither filed) is and will be
        filed under: one BatchGetItem, whatever the number of keys (up to 100)."""
        wanted = _keys(fingerprint_of(before)) | _keys(fingerprint_of(record))
        return Check(self.repository, self.repository.blocks(wanted) if wanted else {}, before, record)

    def refiling(self, before: dict | None, after: dict | None, customer_id: str) -> list[Action]:
        """The block writes of a change to a stored record (none when matching reads nothing new)."""
        unchanged = fingerprint_of(before) == fingerprint_of(after)
        if unchanged and ((before or {}).get("distinct_from") or []) == ((after or {}).get("distinct_from") or []):
            return []
        return self.check(after, before).actions(customer_id, checked=False)

    def keeping_apart(self, before: dict[str, dict], after: dict[str, dict]) -> list[Action]:
        """The writes beside two customers' new distinct_from (id -> record, as JSON): their block
        entries refiled in one filing (they share blocks), and their pair's two copies deleted. The
        listing loses the pair in the same transaction, not when the stream comes by: a reviewer who
        dismisses it and reloads the list does not see it again."""
        changes = [(customer_id, before[customer_id], after[customer_id]) for customer_id in sorted(after)]
        filing = self.repository.refiling(changes)
        first, second = sorted(after)
        return [*(filing.actions() if len(filing) else []), *self.repository.pair_deletes(first, second)]

    def candidates(self, record: dict) -> list[DuplicateCandidate]:
        """Existing customers a new record (as JSON) likely duplicates, most likely first."""
        return self.check(record).candidates()

    def pair_writes(self, changes: list[tuple[dict | None, dict | None]]) -> Iterator[list[dict]]:
        """A stream batch's profile changes (before, after as JSON; (None, None): not a profile), in
        order: for each, the pair writes bringing its pairs up to date (matches among its probe keys'
        blocks; pairs it no longer matches leave both sides), as if the earlier ones were written.
        One BatchGetItem per 100 probe keys for the whole batch (the stream writes no block, so the
        blocks are the same for all), on first use; one Query per customer whose matching fields changed, unless
        its first change in the batch has no old image (a new customer: no pairs but this batch's).
        A failing read raises at the change that needed it: the writes of the earlier ones are given."""
        # Each version's fingerprint, made once: None where nothing matching looks at changed.
        prints = [_changed_print(before, after) for before, after in changes]
        wanted = {key for new in prints if new for key in new.probe_keys()}
        blocks = self.repository.blocks(wanted) if wanted else {}
        now, known = self.clock(), {}
        stored: dict[str, set[str]] = {}  # pairs as stored before the batch, of the customers read
        written: dict[str, dict[str, bool]] = {}  # customer -> other -> paired, as this batch leaves it
        for (before, after), new in zip(changes, prints, strict=True):
            if new is False:
                yield []
                continue
            customer_id = (after or before)["id"]
            neighbours = members_of(blocks, new.probe_keys()) if new else {}
            matches = matches_among(neighbours, after, exclude=customer_id, fingerprint=new, known=known) if new else {}
            if customer_id not in stored:
                stored[customer_id] = self.repository.pairs_of(customer_id) if before is not None else set()
            changes_to = written.get(customer_id, {})
            current = {o for o in stored[customer_id] if changes_to.get(o, True)}
            current |= {o for o, paired in changes_to.items() if paired}
            stale = current - set(matches)
            for other in matches:
                written.setdefault(customer_id, {})[other] = written.setdefault(other, {})[customer_id] = True
            for other in stale:
                written.setdefault(customer_id, {})[other] = written.setdefault(other, {})[customer_id] = False
            yield self.repository.pair_requests(customer_id, matches, stale, now)

    def page(self, limit: int, cursor: str | None, min_score: float = 0) -> Page:
        return self.repository.page(limit, cursor, min_score)


def _changed_print(before: dict | None, after: dict | None) -> Fingerprint | Literal[False] | None:
    """The fingerprint `after` is filed under (None: none), or False when nothing matching looks at
    differs between the two versions of a profile."""
    apart_before = (before or {}).get("distinct_from") or []
    apart_after = (after or {}).get("distinct_from") or []
    new = fingerprint_of(after)
    return new if fingerprint_of(before) != new or apart_before != apart_after else False
