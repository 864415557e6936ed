"""Which roles see which parts of a customer's timeline: one table, enforced in one place. The audit
trail follows it, and pages of either never hand a caller a cursor that names an entry it may not see."""

from __future__ import annotations

from collections.abc import Callable

from cis.errors import concurrent_update
from cis.topology import Role

# (interaction type, field) -> roles that see it; field "*" is the whole entry.
# Marketing sees engagement, consents and tags, never what a customer told support or staff noted.
RESTRICTED: dict[tuple[str, str], frozenset[Role]] = {
    ("ticket", "body"): frozenset({Role.ADMIN, Role.SUPPORT}),
    ("message", "text"): frozenset({Role.ADMIN, Role.SUPPORT}),  # a ticket's thread, as its body
    ("ticket", "status_history"): frozenset({Role.ADMIN, Role.SUPPORT}),
    ("ticket", "updated_at"): frozenset({Role.ADMIN, Role.SUPPORT}),  # the status history's latest step
    ("ticket", "updated_by"): frozenset({Role.ADMIN, Role.SUPPORT}),
    ("note", "*"): frozenset({Role.ADMIN, Role.SUPPORT, Role.SALES}),
    ("order", "line_items"): frozenset({Role.ADMIN, Role.SALES, Role.SUPPORT}),
    ("feedback", "comment"): frozenset({Role.ADMIN, Role.SUPPORT, Role.SALES}),
}


def visible_entry(entry: dict, roles: frozenset[Role]) -> dict | None:
    """The entry as these roles may see it: None when hidden whole, else without hidden fields."""
    kind = entry.get("type", "")
    whole = RESTRICTED.get((kind, "*"))
    if whole is not None and not roles & whole:
        return None
    hidden = sorted(
        name
        for (restricted_kind, name), allowed in RESTRICTED.items()
        if restricted_kind == kind and name != "*" and name in entry and not roles & allowed
    )
    if not hidden:
        return entry
    return {name: value for name, value in entry.items() if name not in hidden} | {"redacted": hidden}


def visible_entries(entries: list[dict], roles: frozenset[Role]) -> list[dict]:
    return [shown for entry in entries if (shown := visible_entry(entry, roles)) is not None]


# -- the audit trail: what it tells, the timeline and the profile tell too, under the same rules ---
# The interaction an `interaction.updated` entry changed: only a ticket is updated (its status and
# team, cis.service.timeline.update_ticket), and each update is a step of its status history.
UPDATED_INTERACTION = ("ticket", "status_history")
# Customer fields whose past values only these roles read in the audit trail: the current ones are on
# the profile, the earlier ones (an old address, a corrected birthday) are nobody else's business.
PAST_VALUES: dict[str, frozenset[Role]] = dict.fromkeys(
    ("emails", "phones", "addresses", "birthday"), frozenset({Role.ADMIN, Role.SUPPORT, Role.SALES})
)
RECORDED = "interaction "  # an `interaction.recorded` entry's one change: "interaction <type>" -> its id


def _sees(roles: frozenset[Role], kind: str, name: str) -> bool:
    allowed = RESTRICTED.get((kind, name))
    return allowed is None or bool(roles & allowed)


def visible_audit_entry(entry: dict, roles: frozenset[Role]) -> dict | None:
    """An audit entry as these roles may see it: None when it tells of what they may not see on the
    timeline (a note, a ticket's status history: its id, author and time), else with the values of
    changes they may not see (PAST_VALUES) left out (null) and named in `redacted`."""
    changes = entry.get("changes") or []
    if entry.get("event") == "interaction.recorded":
        kinds = [change["field"].removeprefix(RECORDED) for change in changes if change["field"].startswith(RECORDED)]
        if any(not _sees(roles, kind, "*") for kind in kinds):
            return None
    if entry.get("event") == "interaction.updated" and not _sees(roles, *UPDATED_INTERACTION):
        return None
    hidden = sorted({c["field"] for c in changes if c["field"] in PAST_VALUES and not roles & PAST_VALUES[c["field"]]})
    if not hidden:
        return entry
    shown = [change | {"before": None, "after": None} if change["field"] in hidden else change for change in changes]
    return entry | {"changes": shown, "redacted": hidden}


# -- pages of what a caller may see --------------------------------------------------------------
Read = Callable[[int, str | None], tuple[list[dict], str | None]]
REREADS = 3  # a page whose stretch keeps changing under it: answered 409 concurrent_update, to retry
MAX_WINDOW = 100  # entries a read takes once it has met hidden ones (the API's largest page)


def visible_page(read: Read, show: Callable[[dict], dict | None], limit: int, cursor: str | None):
    """Up to `limit` entries as `show` lets the caller see them (None: hidden), and the cursor of the next.

    `read(count, cursor)` gives up to `count` stored entries from `cursor` on and the cursor after the
    last of them (None at the end). A cursor names the entry it ends on (its key: an id and a time), so
    one ending on a hidden entry would tell the caller of it. The cursor handed out here always ends
    on the last entry shown: reads go on past hidden entries until the page is full or the list ends
    (each read, after one that fell short, twice as long, up to MAX_WINDOW: a long run of hidden
    entries costs a few reads, not one each), and when a read goes beyond the page's last entry, that
    stretch is read again up to it, for its cursor. A caller who may see everything costs one read a
    page, as before.
    """
    shown: list[dict] = []
    start, rereads, window = cursor, 0, limit
    while True:
        items, after = read(window, start)
        kept = [(index, seen) for index, item in enumerate(items) if (seen := show(item)) is not None]
        room = limit - len(shown)
        if len(kept) < room:
            shown += [seen for _, seen in kept]
            if after is None:
                return shown, None
            start = after  # past hidden entries: this cursor is never handed out
            window = max(limit, min(window * 2, MAX_WINDOW))
            continue
        last = kept[room - 1][0]  # where the page ends in this read
        page = shown + [seen for _, seen in kept[:room]]
        if last == len(items) - 1:
            return page, after
        again, after = read(last + 1, start)
        if again == items[: last + 1]:
            return page, after
        rereads += 1  # an entry was written into the stretch between the reads: read it afresh
        if rereads == REREADS:
            raise concurrent_update("this list")
