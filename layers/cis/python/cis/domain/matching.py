"""How likely two customer records describe the same person, and why.

Records are reduced to a `Fingerprint` (names transliterated to ASCII, emails after their
provider's rules, phone digits, address keys). Candidates come from blocking keys: a few short
strings per record, stored as items, so a new record is compared only with records that share
one (never with the whole base). `compare` then weighs the evidence as Fellegi-Sunter record
linkage does: each field (name, birthday, address, email, phone) is compared to one level, each
level adds its log-odds ln(m/u), where m is how often a true duplicate shows that level and u how
often two different people drawn at random do, and the score is the logistic of the prior (the odds
that two records drawn at random are one person) plus their sum. m was estimated by EM on the
blocked pairs of generated data, u on random pairs of it, as splink does (`python -m
cis_local.linkage fit`); they are constants in `cis.domain.matching_weights`: nothing is estimated
at run time. The prior and u hold for a base like the fitted one (some 7,000 records, the
generator's names and streets): in a base a hundred times bigger, a shared name or street is a
likelier coincidence and both should be fitted on a sample of it. A field
missing on either side adds nothing. Every level that weighs is a reason, with its weight:

  name       same_name, same_rare_name (the family name is not among the common ones of the fitted
             population, COMMON_FAMILY_NAMES: a term-frequency level), nickname (Bob / Robert),
             similar_name (a typo, a transliteration, a sound),
             names_swapped (given and family name exchanged), different_given_name (the family
             name agrees), different_family_name (the given name agrees), different_name,
             same_family_name / same_given_name (the other name missing on one side)
  birthday   same_birthday, birthday_typo (one digit, or two adjacent ones exchanged),
             birthday_day_month_swapped, same_birth_year, different_birthday
  birth year a birthday on one side only, against the year the other's mailbox of a name and two digits
             tells (jane.doe87@): email_birth_year, email_other_birth_year
  birth year a birthday on one side only, against the year the other's mailbox of a name and two digits
             tells (jane.doe87@): email_birth_year, email_other_birth_year
  address    same_address, address_typo (the street or postal code a typo apart), same_street
             (another house number), same_postcode, different_address, household_address (the same
             address, or one a typo apart, under two given names or birthdays, no birthday or mailbox in
             common: a family's home)
  email      same_mailbox, similar_email (the same user at another provider, or one slip), different_email;
             a user made of nothing but the name (jane.doe@ at two providers) weighs nothing: every Jane Doe
             may have one; mailbox_of_other_name (a mailbox made of the other record's name, not its own:
             jane.smith@ kept by Jane Jones, one person whose name changed)
  phone      same_phone_digits, similar_phone (one digit, or two adjacent ones exchanged), different_phone,
             household_phone (the same, or a slip apart, for a phone number: a family's landline)
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields
from functools import cache, lru_cache

from cis.domain.matching_weights import COMMON_FAMILY_NAMES, PRIOR, WEIGHTS

# jellyfish, phonenumbers, anyascii, nicknames and rapidfuzz are imported where they are used: only
# the functions that compare or file records (customers, data quality, the stream processor) load them.

# At or above this score a create stops and asks; at or above LISTED the pair is worth a review.
LIKELY = 0.8
LISTED = 0.6
# A record is filed under at most this many blocking keys: the blocking items are written in the
# same transaction as the record, which takes at most 100 actions.
MAX_BLOCKING_KEYS = 25
_MAX_VARIANTS = 6  # nickname keys per record (Robert has fourteen)
_MAX_CONTACTS = 3  # emails, phones each
_MAX_PLACES = 2

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


def address_key(lines: list[str], postal_code: str | None, country: str, locality: str | None = None) -> str:
    """country|POSTCODE|street line|locality (the locality is missing from keys filed before it was kept)."""
    street = " ".join(_STREET_WORDS.get(word, word) for word in plain(lines[0] if lines else "").split())
    return f"{country}|{(postal_code or '').replace(' ', '').upper()}|{street}|{plain(locality)}"


@dataclass(frozen=True)
class Place:
    country: str
    postcode: str
    number: str  # the house number(s) of the street line
    street: str  # the street line without them
    locality: str

    @classmethod
    def of(cls, key: str) -> Place:
        country, postcode, line, locality = ([*key.split("|"), "", "", ""])[:4]
        words = line.split()
        number = " ".join(word for word in words if any(c.isdigit() for c in word))
        street = " ".join(word for word in words if not any(c.isdigit() for c in word))
        return cls(country, postcode, number, street, locality)


class _NameTable:
    """The nicknames library's table, as its NickNamer() holds it (names lowercased and stripped; a
    name's nicknames, and the names a nickname is of), read from its CSV file in one pass: NickNamer
    makes an object of every row on the way, about 30M instructions of a first comparison's cold start
    (tests/unit/test_matching.py holds the two tables equal)."""

    def __init__(self, text: str):
        self._nicknames: dict[str, set[str]] = {}
        self._canonicals: dict[str, set[str]] = {}
        for line in text.splitlines()[1:]:  # name1,relationship,name2 after the header, never quoted
            name, relationship, nickname = line.split(",")
            if relationship == "has_nickname":
                name, nickname = name.lower().strip(), nickname.lower().strip()
                self._nicknames.setdefault(name, set()).add(nickname)
                self._canonicals.setdefault(nickname, set()).add(name)

    def nicknames_of(self, name: str) -> set[str]:
        return set(self._nicknames.get(name.lower().strip(), ()))

    def canonicals_of(self, name: str) -> set[str]:
        return set(self._canonicals.get(name.lower().strip(), ()))


@cache
def _nick_namer() -> _NameTable:
    """Read once, at the first comparison; the package itself is not imported (its csv reader and
    resource helpers are more of a cold start than the file is)."""
    from importlib.util import find_spec
    from pathlib import Path

    (folder,) = find_spec("nicknames").submodule_search_locations  # names.csv is the package's data file
    return _NameTable((Path(folder) / "names.csv").read_text(encoding="utf-8"))


@lru_cache(maxsize=4096)
def name_variants(given: str) -> frozenset[str]:
    """A given name with its nicknames and the names it is a nickname of (bob: robert, bobby...)."""
    if not given:
        return frozenset({""})
    first = given.split()[0]
    namer = _nick_namer()
    return frozenset({first} | namer.nicknames_of(first) | namer.canonicals_of(first))


def _filed_variants(given: str) -> list[str]:
    """The variants a record is filed under: the names it is a nickname of first, then its nicknames."""
    first = given.split()[0]
    namer = _nick_namer()
    canonicals = sorted(namer.canonicals_of(first) - {first}, key=lambda name: (len(name), name))
    nicknames = sorted(namer.nicknames_of(first) - {first}, key=lambda name: (len(name), name))
    return list(dict.fromkeys(canonicals + nicknames))[:_MAX_VARIANTS]


@lru_cache(maxsize=65536)
def sound(name: str) -> str:
    """A phonetic code of a name: Smith and Smyth, Meyer and Maier share one."""
    if not name:
        return ""
    import jellyfish

    return jellyfish.metaphone(name.replace(" ", "")) or name


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
                        address_key(
                            item.get("lines") or [],
                            item.get("postal_code"),
                            item.get("country", ""),
                            item.get("locality"),
                        )
                        for item in record.get("addresses") or []
                    }
                )
            ),
        )

    def to_dict(self) -> dict:
        return {name: list(value) if isinstance(value, tuple) else value for name, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> Fingerprint:
        """As to_dict wrote it, now or before: unknown names are left out, missing ones are empty."""
        known = {item.name for item in fields(cls)}
        return cls(
            **{
                name: tuple(value) if isinstance(value, list) else value
                for name, value in data.items()
                if name in known
            }
        )

    # -- blocking ------------------------------------------------------------------------
    def _contact_keys(self) -> list[str]:
        # The user part alone also finds jane.doe1987@ at a second provider (and the same mailbox);
        # short ones (info@, bob@) are too common to block on without their domain.
        mail = []
        for email in self.emails[:_MAX_CONTACTS]:
            user = email.partition("@")[0]
            mail.append(f"USER#{user}" if len(user) >= 6 else f"MAIL#{email}")
        return mail + [f"TEL#{digits}" for digits in self.phones[:_MAX_CONTACTS]]

    def _place_keys(self) -> list[str]:
        # A postal code alone holds thousands of people: it blocks with a street or a name sound.
        keys = []
        for place in [Place.of(key) for key in self.addresses if key.split("|")[1]][:_MAX_PLACES]:
            area = f"{place.country}|{place.postcode}"
            if place.street:
                keys.append(f"PLACE#{area}|{place.street}")
            keys += [f"AREA#{area}#{sound(name.split()[0])}" for name in (self.family, self.given) if name]
        return keys

    def _name_keys(self) -> list[str]:
        keys = []
        first = self.given.split()[0] if self.given else ""
        if self.family:
            # The given name's sound, or nothing: a family name alone is filed as such.
            keys.append(f"NAME#{sound(self.family)}#{sound(first)}")
            if first:
                keys.append(f"NAME#{sound(first)}#{sound(self.family)}")  # the same name with its parts exchanged
        if self.birthday:
            keys += [f"BORN#{sound(name)}#{self.birthday[:4]}" for name in (self.family, first) if name]
            keys.append(f"DOB#{self.birthday}")
        return keys

    def probe_keys(self) -> set[str]:
        """The keys a new record looks up (one Query each): its own names, birthday, places and contacts."""
        return set(self._name_keys() + self._place_keys() + self._contact_keys())

    def blocking_keys(self) -> set[str]:
        """Every key this record is filed under: its probe keys; its given name's variants, so that a
        newcomer probing with their own name meets Robert when they are Bob (and Bob as Robert); its
        birthday with day and month exchanged. At most MAX_BLOCKING_KEYS."""
        keys = list(dict.fromkeys(self._name_keys() + self._contact_keys() + self._place_keys()))
        year, _, rest = self.birthday.partition("-")
        month, _, day = rest.partition("-")
        if self.birthday and day != month and day <= "12":
            keys.append(f"DOB#{year}-{day}-{month}")
        if self.family and self.given:
            keys += [f"NAME#{sound(self.family)}#{sound(name)}" for name in _filed_variants(self.given)]
        return set(list(dict.fromkeys(keys))[:MAX_BLOCKING_KEYS])


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


# -- comparing fields --------------------------------------------------------------------


def _one_slip(a: str, b: str) -> bool:
    """One character changed, added or dropped, or two adjacent ones exchanged."""
    from rapidfuzz.distance import OSA

    return OSA.distance(a, b, score_cutoff=1) <= 1


def _close(a: str, b: str) -> bool:
    """Two spellings of one name: the same sound, a slip or two, a part left out (Garcia / Garcia Lopez)."""
    if a == b:
        return True
    from rapidfuzz.distance import OSA, JaroWinkler

    shortest = min(len(a), len(b))
    if shortest >= 3 and OSA.distance(a, b, score_cutoff=2) <= (1 if shortest < 6 else 2):
        return True
    if shortest >= 4 and (sound(a) == sound(b) or JaroWinkler.similarity(a, b) >= 0.92):
        return True
    words_a, words_b = set(a.split()), set(b.split())
    return len(words_a) != len(words_b) and bool(words_a & words_b) and (words_a <= words_b or words_b <= words_a)


def _given_level(a: str, b: str) -> str:
    if not (a and b):
        return "missing"
    if a == b:
        return "same"
    if a.split()[0] in name_variants(b) or b.split()[0] in name_variants(a):
        return "nickname"
    return "close" if _close(a, b) or _close(a.split()[0], b.split()[0]) else "different"


def _family_level(a: str, b: str) -> str:
    if not (a and b):
        return "missing"
    return "same" if a == b else "close" if _close(a, b) else "different"


_NAME_LEVELS = {  # (given level, family level) -> code
    ("same", "same"): "same_name",
    ("nickname", "same"): "nickname",
    ("nickname", "close"): "nickname",
    ("same", "close"): "similar_name",
    ("close", "same"): "similar_name",
    ("close", "close"): "similar_name",
    ("different", "same"): "different_given_name",
    ("different", "close"): "different_given_name",
    ("same", "different"): "different_family_name",
    ("nickname", "different"): "different_family_name",
    ("close", "different"): "different_family_name",
    ("different", "different"): "different_name",
    ("missing", "same"): "same_family_name",
    ("missing", "close"): "same_family_name",
    ("same", "missing"): "same_given_name",
    ("nickname", "missing"): "same_given_name",
    ("close", "missing"): "same_given_name",
}
_AGREE = {"same_name", "same_rare_name", "nickname", "similar_name"}


def _names(a: Fingerprint, b: Fingerprint) -> tuple[str, str] | None:
    if not (a.given or a.family) or not (b.given or b.family):
        return None
    direct = _NAME_LEVELS.get((_given_level(a.given, b.given), _family_level(a.family, b.family)))
    if direct == "same_name" and a.family and a.family not in COMMON_FAMILY_NAMES:
        direct = "same_rare_name"  # two people who share an uncommon name are rarer than two John Smiths
    if direct in _AGREE:
        return direct, f"{a.given} {a.family} / {b.given} {b.family}".strip()
    if a.given and a.family and b.given and b.family:
        exchanged = _NAME_LEVELS.get((_given_level(a.given, b.family), _family_level(a.family, b.given)))
        if exchanged in _AGREE:
            return "names_swapped", f"{a.given} {a.family} / {b.given} {b.family}"
    if direct is None:
        return None
    if direct == "same_family_name":
        return direct, a.family
    if direct == "same_given_name":
        return direct, a.given
    return direct, f"{a.given} {a.family} / {b.given} {b.family}".strip()


def _birthdays(a: Fingerprint, b: Fingerprint) -> tuple[str, str] | None:
    if not (a.birthday and b.birthday):
        return None
    if a.birthday == b.birthday:
        return "same_birthday", a.birthday
    detail = f"{a.birthday} / {b.birthday}"
    year_a, month_a, day_a = [*a.birthday.split("-"), "", ""][:3]
    year_b, month_b, day_b = [*b.birthday.split("-"), "", ""][:3]
    if year_a == year_b and (month_a, day_a) == (day_b, month_b):
        return "birthday_day_month_swapped", detail
    if _one_slip(a.birthday.replace("-", ""), b.birthday.replace("-", "")):
        return "birthday_typo", detail
    if year_a == year_b:
        return "same_birth_year", detail
    return "different_birthday", detail


def _place_level(a: Place, b: Place) -> str:
    if a.country and b.country and a.country != b.country:
        return "different_address"
    same_area = (a.postcode and a.postcode == b.postcode) or (
        not (a.postcode and b.postcode) and a.locality and a.locality == b.locality
    )
    near_area = same_area or (
        (a.postcode and b.postcode and _one_slip(a.postcode, b.postcode))
        or (a.locality and b.locality and _close(a.locality, b.locality))
    )
    same_street = a.street == b.street and a.number == b.number and bool(a.street or a.number)
    if same_area and same_street:
        return "same_address"
    street_close = bool(a.street and b.street) and _close(a.street, b.street)
    if near_area and (same_street or (street_close and a.number == b.number)):
        return "address_typo"
    if near_area and street_close:
        return "same_street"
    if same_area:
        return "same_postcode"
    return "different_address"


_PLACE_RANK = ["same_address", "address_typo", "same_street", "same_postcode", "different_address"]


def _addresses(a: Fingerprint, b: Fingerprint) -> tuple[str, str] | None:
    if not (a.addresses and b.addresses):
        return None
    best = min(
        ((_place_level(Place.of(x), Place.of(y)), x, y) for x in a.addresses for y in b.addresses),
        key=lambda found: _PLACE_RANK.index(found[0]),
    )
    level, x, y = best
    if level == "different_address":
        return level, ""  # nothing in common to show
    return level, _shown(x) if level == "same_address" else f"{_shown(x)} / {_shown(y)}"


def _shown(key: str) -> str:
    """An address key as a reason shows it: postal code, street line, locality."""
    return " ".join(part for part in key.split("|")[1:] if part)


def _emails(a: Fingerprint, b: Fingerprint) -> tuple[str, str] | None:
    shared = set(a.emails) & set(b.emails)
    if shared:
        return "same_mailbox", min(shared)
    for mine, theirs in ((a, b), (b, a)):  # also when the other record has no mailbox
        for email in mine.emails:
            user = email.partition("@")[0].rstrip("0123456789")
            if _made_of_names(user, theirs) and not _made_of_names(user, mine) and not _names_agree(a, b):
                return "mailbox_of_other_name", email  # jane.smith@ kept by Jane Jones: one name changed
    if not (a.emails and b.emails):
        return None
    for left in a.emails:
        for right in b.emails:
            local_a, _, domain_a = left.partition("@")
            local_b, _, domain_b = right.partition("@")
            if len(local_a) >= 4 and local_a == local_b:
                if _made_of_names(local_a, a) and _made_of_names(local_a, b):
                    continue  # jane.doe@ elsewhere: every Jane Doe may have one, it tells no more than the name
                return "similar_email", f"{local_a}@ at {domain_a} and {domain_b}"
            # One slip of a key, but not another number: jane.doe71 and jane.doe72 are often two people.
            if (
                domain_a == domain_b
                and min(len(local_a), len(local_b)) >= 5
                and re.sub(r"\D", "", local_a) == re.sub(r"\D", "", local_b)
                and _one_slip(local_a, local_b)
            ):
                return "similar_email", f"{left} / {right}"
    users = [email.partition("@")[0] for email in a.emails + b.emails]
    if all(_made_of_names(user, a, b) for user in users):
        return None  # jane.doe@ and janedoe@: made of one name, they tell no more than the name does
    return "different_email", ""  # a reason shows what agreed, not another customer's contacts


def _names_agree(a: Fingerprint, b: Fingerprint) -> bool:
    """The names agree (a slip, a nickname, exchanged): a mailbox of one of them is of the other too."""
    found = _names(a, b)
    return bool(found) and found[0] in _AGREE | {"names_swapped", "same_family_name", "same_given_name"}


def _made_of_names(local: str, *prints: Fingerprint) -> bool:
    """A mailbox's user made of nothing but a name of either record (jane.doe, doejane, jdoe, jane)."""
    if any(c.isdigit() for c in local):
        return False
    letters = re.sub(r"[^a-z]", "", local)
    for fingerprint in prints:
        given = fingerprint.given.split()[0] if fingerprint.given else ""
        family = fingerprint.family.replace(" ", "")
        forms = {given, family, given + family, family + given}
        if given:
            forms |= {given[0] + family, family + given[0]}
        if letters in forms - {""}:
            return True
    return False


def _email_year(fingerprint: Fingerprint) -> str:
    """The year a mailbox of a name and two digits (jane.doe87@) tells, as 19yy or 20yy, or ""."""
    for email in fingerprint.emails:
        user = email.partition("@")[0]
        digits = user[len(user.rstrip("0123456789")) :]
        if len(digits) == 2 and _made_of_names(user[:-2], fingerprint):
            return ("20" if digits <= "06" else "19") + digits
    return ""


def _birth_years(a: Fingerprint, b: Fingerprint) -> tuple[str, str] | None:
    """With a birthday on one side only, the year the other's mailbox tells (jane.doe87@) stands in for it."""
    if bool(a.birthday) == bool(b.birthday):
        return None  # both compared as birthdays, or nothing to compare
    born, other = (a, b) if a.birthday else (b, a)
    year = _email_year(other)
    if not year:
        return None
    detail = f"{born.birthday[:4]} / {year} ({other.emails[0]})"
    return ("email_birth_year" if year == born.birthday[:4] else "email_other_birth_year"), detail


def _phones(a: Fingerprint, b: Fingerprint) -> tuple[str, str] | None:
    if not (a.phones and b.phones):
        return None
    shared = set(a.phones) & set(b.phones)
    if shared:
        return "same_phone_digits", min(shared)
    for left in a.phones:
        for right in b.phones:
            if len(left) == len(right) and len(left) >= 6 and _one_slip(left, right):
                return "similar_phone", f"{left} / {right}"
    return "different_phone", ""


FIELDS = {
    "name": _names,
    "birthday": _birthdays,
    "birth_year": _birth_years,
    "address": _addresses,
    "email": _emails,
    "phone": _phones,
}
# A family shares its home and landline: under two different names or birthdays (a father and his son),
# with no birthday or mailbox in common, a shared address or phone is what a household has in common
# more than what one person entered twice has. Fields are weighed independently, so that dependence is
# a level of its own, with its own m and u.
_HOUSEHOLD = {
    "same_address": "household_address",
    "address_typo": "household_address",  # the family's home, spelt a little differently
    "same_phone_digits": "household_phone",
    "similar_phone": "household_phone",
}
_ONE_PERSON = {"same_birthday", "birthday_typo", "birthday_day_month_swapped", "same_mailbox", "email_birth_year"}
# A family shares its family name: one given name under two family names at one home is one person whose
# family name changed (a marriage), not a household, so different_family_name is not among these.
_TWO_PEOPLE = {
    "different_given_name",
    "different_name",
    "different_birthday",
    "same_birth_year",
    "email_other_birth_year",
}
# A son named after his father, with no birthday on one side: one name and one home, and neither mailbox
# nor phone in common, is a household's more than one person's who changed both.
_OWN_CONTACTS = {"different_email", "different_phone"}


def levels(a: Fingerprint, b: Fingerprint) -> dict[str, tuple[str, str]]:
    """Each field's level (and what was compared), for the fields both records have."""
    found = {}
    for name, level_of in FIELDS.items():
        level = level_of(a, b)
        if level:
            found[name] = level
    codes = {code for code, _ in found.values()}
    if (codes & _TWO_PEOPLE or codes >= _OWN_CONTACTS) and not codes & _ONE_PERSON:
        for name in ("address", "phone"):
            if name in found and found[name][0] in _HOUSEHOLD:
                found[name] = (_HOUSEHOLD[found[name][0]], found[name][1])
    return found


def compare(a: Fingerprint, b: Fingerprint) -> Match:
    """Weigh the agreements and disagreements between two records."""
    reasons = [Reason(code, WEIGHTS[code], detail) for code, detail in levels(a, b).values() if WEIGHTS[code]]
    log_odds = PRIOR + sum(reason.weight for reason in reasons)
    return Match(round(1 / (1 + math.exp(-log_odds)), 3), reasons)
