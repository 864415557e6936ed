"""What a person's name may hold: any script, with its marks and joiners, but nothing that hides or
reorders what is shown.

Refused: control characters (tabs, line breaks, NUL, escape sequences: they break the CSV rows,
letters and logs the name is written into), line and paragraph separators, lone surrogates, and the
bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make a name
display in another order than it is stored ("Trojan Source"). Kept: the left-to-right and
right-to-left marks (U+200E, U+200F, U+061C), which only nudge neutral characters such as a closing
bracket and which mixed-script names legitimately need, and the zero-width joiners (U+200C, U+200D)
several scripts spell names with.
"""

from __future__ import annotations

import re

from pydantic import ValidationInfo

from cis.domain.model import read_back

BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
# Unicode's control characters (category Cc), the line and paragraph separators, lone surrogates.
CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
REFUSED = re.compile(f"[{BIDI_CONTROLS}{CONTROLS}]")
BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def _describe(char: str) -> str:
    import unicodedata  # for the words of a refusal only

    return f"U+{ord(char):04X}" + (f" {unicodedata.name(char)}" if unicodedata.name(char, "") else "")


def name_problem(value: str) -> str | None:
    """What is wrong with a name, in plain words; None when nothing is."""
    found = REFUSED.search(value)
    if found is None:
        return None
    char, position = found.group(), found.start() + 1
    if BIDI.fullmatch(char):
        return (
            f"contains a bidirectional override or isolate ({_describe(char)}, character {position}), "
            "which makes the name display in a different order from how it is stored: send the name without it"
        )
    return (
        f"contains a control character ({_describe(char)}, character {position}): a name holds letters, "
        "marks, spaces and punctuation, not tabs, line breaks or other control characters"
    )


def check_name(value: str, info: ValidationInfo) -> str:
    """A name's validator. Read back from the table, a name is taken as stored (cis.domain.model.STORED),
    so a record written before this rule still reads; a create, a patch or an import must obey it."""
    if not read_back(info) and (problem := name_problem(value)):
        raise ValueError(problem)
    return value
