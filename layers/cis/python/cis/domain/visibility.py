"""Which roles see which parts of a customer's timeline: one table, enforced in one place."""

from __future__ import annotations

from cis.topology import Role

# (interaction type, field) -> roles that see it; field "*" is the whole entry.
# Marketing sees engagement, consents and tags, never what a customer told support or staff noted.
RESTRICTED: dict[tuple[str, str], frozenset[Role]] = {
    ("ticket", "body"): frozenset({Role.ADMIN, Role.SUPPORT}),
    ("ticket", "status_history"): frozenset({Role.ADMIN, Role.SUPPORT}),
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
