"""How likely two customer records describe the same person, and why.

Records are reduced to a `Fingerprint` (names transliterated to ASCII, emails after their
provider's rules, phone digits, address keys). Candidates come from blocking keys: a few short
strings per record, stored as items, so a new record is compared only with records that share
one (never with the whole base). `compare` then weighs the evidence the way record linkage
does (Fellegi-Sunter): each agreement or disagreement adds log-odds, and the score is their
logistic. Every weight shows up in the reasons, so a person can see why two records matched.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from functools import cache

# jellyfish, phonenumbers, anyascii and rapidfuzz are imported where they are used: only the
# functions that compare or file records (customers, data quality, the stream processor) load them.

# At or above this score a create stops and asks; at or above LISTED the pair is worth a review.
LIKELY = 0.8
LISTED = 0.6
PRIOR = -3.0  # log-odds that two records sharing a blocking key are one person, before evidence

WEIGHTS = {
    "same_mailbox": 6.0,  # the same inbox once provider rules apply (gmail dots, +tags)
    "same_phone_digits": 4.5,  # the same national number, whatever country code was assumed
    "similar_email": 2.0,  # one letter apart, or the same name at another provider
    "same_name": 3.0,
    "nickname": 2.5,  # Bob and Robert, with the same family name
    "similar_name": 2.5,  # a typo or a transliteration apart
    "different_given_name": -3.0,  # family members share surname, address and phone
    "different_family_name": -2.0,
    "same_birthday": 3.5,
    "different_birthday": -5.0,  # father and son with one name at one address
    "same_address": 2.5,
}

# Providers that deliver name+tag@ to name@; gmail also ignores dots in the local part.
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
_STREET_WORDS = {
    "street": "st",
    "str": "st",
    "strasse": "str",
    "road": "rd",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "place": "pl",
    "court": "ct",
    "square": "sq",
    "apartment": "apt",
    "flat": "apt",
    "suite": "ste",
}


def plain(text: str | None) -> str:
    """Lower-case ASCII letters, digits and single spaces: Müller, MÜLLER and Muller agree."""
    if not text:
        return ""
    from anyascii import anyascii

    return " ".join(re.sub(r"[^a-z0-9]+", " ", anyascii(text).lower()).split())


def mailbox(address: str) -> str:
    """The inbox an address delivers to, as far as the provider's public rules tell."""
    local, _, domain = address.casefold().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in _DOTLESS:
        domain = _DOTLESS[domain]
        local = local.replace(".", "")
    return f"{local}@{domain}"


def phone_digits(e164: str) -> str:
    """The national significant number: the same digits typed under a wrongly assumed country agree."""
    import phonenumbers

    try:
        return str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", e164)


def address_key(lines: list[str], postal_code: str | None, country: str) -> str:
    street = " ".join(_STREET_WORDS.get(word, word) for word in plain(lines[0] if lines else "").split())
    return f"{country}|{(postal_code or '').replace(' ', '').upper()}|{street}"


@cache
def _nick_namer():
    from nicknames import NickNamer  # loads its name table once, on the first comparison

    return NickNamer()


def name_variants(given: str) -> frozenset[str]:
    """A given name with its nicknames and the names it is a nickname of (bob: robert, bobby...)."""
    if not given:
        return frozenset({""})
    first = given.split()[0]
    namer = _nick_namer()
    return frozenset({first} | namer.nicknames_of(first) | namer.canonicals_of(first))


def sound(family: str) -> str:
    """A phonetic code of the family name: Smith and Smyth, Meyer and Maier share one."""
    if not family:
        return ""
    import jellyfish

    return jellyfish.metaphone(family.replace(" ", ""))


@dataclass(frozen=True)
class Fingerprint:
    """What matching looks at, small enough to keep on every blocking item."""

    given: str = ""
    family: str = ""
    birthday: str = ""
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()

    @classmethod
    def of(cls, record: dict) -> Fingerprint:
        """From a customer as JSON (a create body, a stored profile, an import row)."""
        given, family = plain(record.get("given_name")), plain(record.get("family_name"))
        if not (given or family):  # only a display name: its first and last words
            words = plain(record.get("display_name")).split()
            given, family = (words[0], " ".join(words[1:])) if len(words) > 1 else ("", "".join(words))
        return cls(
            given=given,
            family=family,
            birthday=str(record.get("birthday") or ""),
            emails=tuple(sorted({mailbox(item["address"]) for item in record.get("emails") or []})),
            phones=tuple(sorted({phone_digits(item["number"]) for item in record.get("phones") or []})),
            addresses=tuple(
                sorted(
                    {
                        address_key(item.get("lines") or [], item.get("postal_code"), item.get("country", ""))
                        for item in record.get("addresses") or []
                    }
                )
            ),
        )

    def to_dict(self) -> dict:
        return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Fingerprint:
        return cls(**{name: tuple(value) if isinstance(value, list) else value for name, value in data.items()})

    def _contact_keys(self) -> set[str]:
        # The user part alone also finds jane.doe1987@ at a second provider (and the same mailbox);
        # short ones (info@, bob@) are too common to block on without their domain.
        users = {email.partition("@")[0]: email for email in self.emails}
        mail = {f"USER#{user}" if len(user) >= 6 else f"MAIL#{email}" for user, email in users.items()}
        return mail | {f"TEL#{digits}" for digits in self.phones}

    def _places(self) -> set[str]:
        # The whole address (postal code and street line), not the postal code alone: a city
        # postal code holds thousands of people, and a block that large tells nothing apart.
        return {key for key in self.addresses if key.split("|")[1] and key.split("|")[2]}

    def probe_keys(self) -> set[str]:
        """The few keys a new record looks up: its own name, not its variants (those were filed)."""
        keys = self._contact_keys() | {f"ADDR#{key}" for key in self._places()}
        if self.family:
            keys.add(f"NAME#{sound(self.family)}#{self.given.split()[0] if self.given else ''}")
            if self.birthday:
                keys.add(f"BORN#{sound(self.family)}#{self.birthday[:4]}")
        return keys

    def blocking_keys(self) -> set[str]:
        """Every key this record is filed under: its probe keys, and its given name's variants too, so
        that a newcomer probing with their own name meets Robert when they are Bob (and Bob as Robert)."""
        variants = {f"NAME#{sound(self.family)}#{name}" for name in name_variants(self.given)} if self.family else set()
        return self.probe_keys() | variants


@dataclass(frozen=True)
class Reason:
    code: str
    weight: float
    detail: str


@dataclass
class Match:
    score: float
    reasons: list[Reason] = field(default_factory=list)

    @property
    def likely(self) -> bool:
        return self.score >= LIKELY

    @property
    def listed(self) -> bool:
        return self.score >= LISTED


def _similar(a: str, b: str, threshold: float = 0.9) -> bool:
    from rapidfuzz.distance import JaroWinkler

    return JaroWinkler.similarity(a, b) >= threshold


def _names(a: Fingerprint, b: Fingerprint) -> list[tuple[str, str]]:
    both_family = bool(a.family and b.family)
    if both_family and not (sound(a.family) == sound(b.family) or _similar(a.family, b.family)):
        return [("different_family_name", f"{a.family} / {b.family}")]
    if not (a.given and b.given):  # a family name alone agrees only when neither has a given name
        same = both_family and a.family == b.family and not (a.given or b.given)
        return [("same_name", a.family)] if same else []
    if not both_family:  # a given name alone proves little, but two different ones tell apart
        return (
            []
            if a.given == b.given or _similar(a.given, b.given)
            else [("different_given_name", f"{a.given} / {b.given}")]
        )
    if a.given == b.given and a.family == b.family:
        return [("same_name", f"{a.given} {a.family}")]
    if a.given == b.given or _similar(a.given, b.given):
        return [("similar_name", f"{a.given} {a.family} / {b.given} {b.family}")]
    if a.given.split()[0] in name_variants(b.given) or b.given.split()[0] in name_variants(a.given):
        return [("nickname", f"{a.given} / {b.given}")]
    return [("different_given_name", f"{a.given} / {b.given}")]


def _emails(a: Fingerprint, b: Fingerprint) -> list[tuple[str, str]]:
    from rapidfuzz.distance import Levenshtein

    shared = set(a.emails) & set(b.emails)
    if shared:
        return [("same_mailbox", min(shared))]
    for left in a.emails:
        for right in b.emails:
            local_a, _, domain_a = left.partition("@")
            local_b, _, domain_b = right.partition("@")
            if len(local_a) >= 4 and local_a == local_b:
                return [("similar_email", f"{local_a}@ at {domain_a} and {domain_b}")]
            # One slip of a key, but not another number: jane.doe71 and jane.doe72 are often two people.
            if (
                domain_a == domain_b
                and min(len(local_a), len(local_b)) >= 5
                and re.sub(r"\D", "", local_a) == re.sub(r"\D", "", local_b)
                and Levenshtein.distance(local_a, local_b) <= 1
            ):
                return [("similar_email", f"{left} / {right}")]
    return []


def compare(a: Fingerprint, b: Fingerprint) -> Match:
    """Weigh the agreements and disagreements between two records."""
    evidence = _names(a, b) + _emails(a, b)
    shared_phone = set(a.phones) & set(b.phones)
    if shared_phone:
        evidence.append(("same_phone_digits", min(shared_phone)))
    if a.birthday and b.birthday:
        evidence.append(("same_birthday", a.birthday) if a.birthday == b.birthday else ("different_birthday", ""))
    shared_address = set(a.addresses) & set(b.addresses)
    if shared_address:
        evidence.append(("same_address", min(shared_address).split("|")[1]))
    reasons = [Reason(code, WEIGHTS[code], detail) for code, detail in evidence]
    log_odds = PRIOR + sum(reason.weight for reason in reasons)
    return Match(round(1 / (1 + math.exp(-log_odds)), 3), reasons)
