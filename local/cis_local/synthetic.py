"""Generated people, with the truth about who is who: for measuring duplicate detection and imports.

`population()` makes distinct people, then true duplicates of some of them (the mistakes and
variations real data has: nicknames, typos, transliterations, gmail dots, missing fields) and hard
negatives that are different people who look alike (family members at one address and phone,
namesakes, a father and son with one name). Seeded, so every run sees the same records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import phonenumbers

GIVEN = [
    "Robert", "William", "Elizabeth", "Katherine", "Margaret", "James", "Michael", "Jennifer", "Thomas",
    "Patricia", "Richard", "Susan", "Joseph", "Jessica", "Charles", "Sarah", "Daniel", "Karen", "Matthew",
    "Nancy", "Anthony", "Lisa", "Andrew", "Emily", "Joshua", "Amelia", "Jürgen", "Zoë", "Søren", "Renée",
    "José", "Łukasz", "Aoife", "Priya", "Mei", "Olusegun", "Hiroshi", "Fatima", "Mateo", "Ingrid",
]  # fmt: skip
NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate", "Margaret": "Peggy",
    "James": "Jim", "Michael": "Mike", "Jennifer": "Jen", "Thomas": "Tom", "Patricia": "Pat",
    "Richard": "Dick", "Susan": "Sue", "Joseph": "Joe", "Charles": "Chuck", "Daniel": "Dan",
    "Matthew": "Matt", "Anthony": "Tony", "Andrew": "Andy",
}  # fmt: skip
FAMILY = [
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "García", "Rodríguez", "Wilson",
    "Martinez", "Anderson", "Taylor", "Thomas", "Hernández", "Moore", "Martin", "Jackson", "Thompson",
    "White", "Müller", "Schröder", "Weiß", "Nowak", "Kowalski", "O'Brien", "Murphy", "Nguyen", "Tanaka",
    "Okafor", "Hughes", "Lindqvist", "Dubois", "Rossi", "Novák", "Patel", "Kim", "Silva", "Fischer", "Meyer",
]  # fmt: skip
TRANSLITERATIONS = {"Müller": "Mueller", "Schröder": "Schroeder", "Weiß": "Weiss", "Jürgen": "Juergen"}
DOMAINS = ["gmail.com", "example.com", "example.org", "outlook.com", "example.net"]
CITIES = [("GB", "EH7 4AA"), ("US", "94103"), ("DE", "10115"), ("FR", "75011"), ("US", "10001"), ("GB", "M1 1AE")]
STREETS = ["Elm Row", "High Street", "Main Street", "Station Road", "Oak Avenue", "Hauptstraße", "Rue de Lyon"]


@dataclass
class Person:
    record: dict  # a customer as the API accepts it
    person: int  # who this really is: records with the same number are one person


def _phone(rng: random.Random) -> str:
    """A number phonenumbers accepts as valid (not every digit string under a prefix is)."""
    while True:
        prefix, digits = rng.choice([("+1415", 7), ("+1212", 7), ("+49151", 8), ("+336", 8)])
        number = prefix + "".join(rng.choice("23456789") for _ in range(digits))
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    at = rng.randrange(1, len(word) - 1)
    return rng.choice([word[:at] + word[at + 1 :], word[:at] + word[at + 1] + word[at] + word[at + 2 :]])


def person(rng: random.Random, number: int) -> Person:
    given, family = rng.choice(GIVEN), rng.choice(FAMILY)
    local = f"{given}.{family}{rng.randrange(10, 99)}".lower().replace("'", "")
    country, postal = rng.choice(CITIES)
    record = {
        "given_name": given,
        "family_name": family,
        "emails": [{"address": f"{local}@{rng.choice(DOMAINS)}"}],
        "phones": [{"number": _phone(rng)}] if rng.random() < 0.7 else [],
        "birthday": f"{rng.randrange(1940, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        if rng.random() < 0.6
        else None,
        "addresses": [
            {"lines": [f"{rng.randrange(1, 200)} {rng.choice(STREETS)}"], "postal_code": postal, "country": country}
        ]
        if rng.random() < 0.6
        else [],
    }
    return Person({name: value for name, value in record.items() if value}, number)


def duplicate_of(rng: random.Random, original: Person) -> Person:
    """The same person entered again by someone else: two or three of the usual variations."""
    record = {name: value for name, value in original.record.items()}
    variations = rng.sample(["nickname", "typo", "translit", "email", "drop_email", "drop_phone", "drop_extra"], 3)
    if "nickname" in variations and record["given_name"] in NICKNAMES:
        record["given_name"] = NICKNAMES[record["given_name"]]
    if "translit" in variations and record["family_name"] in TRANSLITERATIONS:
        record["family_name"] = TRANSLITERATIONS[record["family_name"]]
    elif "typo" in variations:
        record["family_name"] = _typo(rng, record["family_name"])
    address = record["emails"][0]["address"]
    local, _, domain = address.partition("@")
    if "email" in variations:  # provider rules: gmail ignores dots, most providers ignore +tags
        changed = local.replace(".", "") if domain == "gmail.com" else f"{local}+shop"
        record["emails"] = [{"address": f"{changed}@{domain}"}]
    elif "drop_email" in variations and (record.get("phones") or record.get("birthday") or record.get("addresses")):
        record.pop("emails")
    else:  # a different address of the same person: same name, another provider
        record["emails"] = [{"address": f"{local}@{'example.biz' if domain != 'example.biz' else 'example.info'}"}]
    if "drop_phone" in variations:
        record.pop("phones", None)
    if "drop_extra" in variations and record.get("birthday") and record.get("addresses"):
        record.pop(rng.choice(["birthday", "addresses"]))
    return Person(record, original.person)


def look_alike(rng: random.Random, original: Person, number: int) -> Person:
    """A different person who shares a lot with `original`."""
    kind = rng.choice(["family", "namesake", "junior"])
    record = {name: value for name, value in original.record.items() if name in ("family_name", "addresses", "phones")}
    other = person(rng, number).record
    if kind == "family":  # spouse or child: surname, home and landline shared
        record["given_name"] = rng.choice([name for name in GIVEN if name != original.record["given_name"]])
        record["emails"] = other["emails"]
        record["birthday"] = other.get("birthday") or "1999-01-01"
    elif kind == "namesake":  # same name, nothing else in common
        record = other | {"given_name": original.record["given_name"], "family_name": original.record["family_name"]}
        record["birthday"] = other.get("birthday") or "1977-07-07"
        if original.record.get("birthday") == record["birthday"]:
            record["birthday"] = "1901-01-01"
    else:  # a son named after his father, at the same address
        record |= {"given_name": original.record["given_name"], "emails": other["emails"]}
        born = int((original.record.get("birthday") or "1960")[:4])
        record["birthday"] = f"{born + 28}-03-03"
        record.pop("phones", None)
    return Person({name: value for name, value in record.items() if value}, number)


def population(size: int = 2000, duplicates: float = 0.1, look_alikes: float = 0.1, seed: int = 7) -> list[Person]:
    rng = random.Random(seed)
    people = [person(rng, number) for number in range(size)]
    originals = rng.sample(people, int(size * (duplicates + look_alikes)))
    split = int(size * duplicates)
    extra = [duplicate_of(rng, original) for original in originals[:split]]
    extra += [look_alike(rng, original, size + index) for index, original in enumerate(originals[split:])]
    mixed = people + extra
    rng.shuffle(mixed)
    return mixed


@dataclass
class Quality:
    precision: float
    recall: float
    compared: int  # record pairs scored: what blocking let through
    true_pairs: int


def measure(people: list[Person], threshold: float) -> Quality:
    """Precision and recall of blocking plus scoring, each record checked against those before it
    (as creates and imports see the base)."""
    from cis.domain.matching import Fingerprint, compare

    filed: dict[str, list[int]] = {}
    prints = [Fingerprint.of(item.record) for item in people]
    found, compared = set(), 0
    for index, fingerprint in enumerate(prints):
        seen = {other for key in fingerprint.probe_keys() for other in filed.get(key, [])}
        compared += len(seen)
        found |= {(other, index) for other in seen if compare(fingerprint, prints[other]).score >= threshold}
        for key in fingerprint.blocking_keys():
            filed.setdefault(key, []).append(index)
    truth = {(a, b) for b in range(len(people)) for a in range(b) if people[a].person == people[b].person}
    hits = len(found & truth)
    return Quality(hits / len(found) if found else 1.0, hits / len(truth) if truth else 1.0, compared, len(truth))


SYLLABLES = ["ka", "ro", "vi", "len", "mar", "to", "sa", "bel", "ni", "dor", "pe", "lu", "ran", "chi", "mo", "ta"]


def surname(number: int) -> str:
    """A family name no one else in the file has: one per number."""
    parts = []
    for _ in range(4):
        number, digit = divmod(number, len(SYLLABLES))
        parts.append(SYLLABLES[digit])
    return "".join(parts).capitalize() + ("s" if number % 2 else "")


MALFORMED = [
    ("email", "no-at-sign.example.com"),
    ("birthday", "2999-01-01"),
    ("country", "XX"),
    ("phone", "12"),
    ("given_name", None),  # no name, email, phone or id at all
]


@dataclass
class ImportFile:
    text: str
    malformed: set[int]  # row numbers (the header is row 1)
    duplicates: dict[int, int]  # row number -> the row it duplicates
    rows: int


def import_file(rows: int = 10_000, malformed: float = 0.05, duplicates: float = 0.05, seed: int = 11) -> ImportFile:
    """A CSV for `cis import`: distinct people, then broken rows and second entries of earlier rows."""
    import csv
    import io

    rng = random.Random(seed)
    header = ["given_name", "family_name", "email", "phone", "birthday", "country", "postal_code", "address_line1"]
    base = int(rows * (1 - malformed - duplicates))
    people = []
    for number in range(base):
        given = rng.choice(GIVEN)
        country, postal = rng.choice(CITIES)
        people.append(
            {
                "given_name": given,
                "family_name": surname(number),
                "email": f"{given.lower()}.{surname(number).lower()}@{rng.choice(DOMAINS)}",
                "phone": _phone(rng) if rng.random() < 0.5 else "",
                "birthday": f"{rng.randrange(1940, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "country": country,
                "postal_code": postal,
                "address_line1": f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
            }
        )
    lines: list[tuple[dict, str, int | None]] = [(person, "ok", None) for person in people]
    for _ in range(int(rows * malformed)):
        broken = dict(rng.choice(people)) | {"email": f"other{rng.randrange(10**9)}@example.net"}
        column, value = rng.choice(MALFORMED)
        if value is None:
            broken = {name: "" for name in broken}
        else:
            broken[column] = value
        lines.insert(rng.randrange(len(lines) + 1), (broken, "malformed", None))
    for _ in range(int(rows * duplicates)):
        at = rng.randrange(len(lines))
        while lines[at][1] != "ok":
            at = rng.randrange(len(lines))
        original = lines[at][0]
        again = dict(original)
        kind = rng.choice(["email_case", "nickname_no_email", "gmail_dots"])
        if kind == "email_case":
            again["email"] = original["email"].upper()
        elif kind == "nickname_no_email":
            again |= {
                "given_name": NICKNAMES.get(original["given_name"], original["given_name"]),
                "email": "",
                "phone": "",
            }
        else:
            local = original["email"].split("@")[0]
            again["email"] = (
                f"{local.replace('.', '')}+import@gmail.com" if "@gmail.com" in original["email"] else original["email"]
            )
        lines.insert(rng.randrange(at + 1, len(lines) + 1), (again, "duplicate", id(original)))
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\n")
    writer.writeheader()
    positions = {id(line[0]): index + 2 for index, line in enumerate(lines) if line[1] == "ok"}
    malformed_rows, duplicate_rows = set(), {}
    for index, (record, kind, original) in enumerate(lines):
        writer.writerow(record)
        if kind == "malformed":
            malformed_rows.add(index + 2)
        elif kind == "duplicate":
            duplicate_rows[index + 2] = positions[original]
    return ImportFile(out.getvalue(), malformed_rows, duplicate_rows, len(lines))


# -- a subscription base: customers whose renewals are spread over a year -----------------------
ZONES = ("Europe/London", "Europe/Berlin", "Europe/Madrid", "America/New_York")  # all awake at 14:00 UTC


@dataclass
class SubscriptionBase:
    items: list[dict]  # every table item, as the repositories write them
    due: dict[str, list[tuple[str, bool]]]  # day -> (subscription id, has reminders consent) for each reminder


def subscription_base(
    count: int, today: date, seed: int = 5, consent_share: float = 0.7, first: int = 0
) -> SubscriptionBase:
    """`count` customers (numbered from `first`), one active subscription each, renewing on a day spread
    over the next year; most agreed to email reminders. Items are built by the real repository code."""
    from cis.domain.consent import ConsentState
    from cis.domain.customer import Customer, CustomerFields
    from cis.domain.subscriptions import Subscription, reminders_due
    from cis.repository.customers import CustomerRepository
    from cis.repository.items import to_value
    from cis.repository.subscriptions import reminder_items, subscription_item
    from ulid import ULID

    rng = random.Random(seed)
    profiles = CustomerRepository(None, "")
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    items, due = [], {}
    for number in range(first, first + count):
        customer_id, subscription_id = str(ULID()), str(ULID())
        fields = CustomerFields(
            given_name=GIVEN[number % len(GIVEN)],
            family_name=surname(number),
            emails=[{"address": f"customer{number}@example.com"}],
            time_zone=ZONES[number % len(ZONES)],
            locale=rng.choice(["en-GB", "de-DE", "fr-FR", "es-ES"]),
        )
        consented = rng.random() < consent_share
        customer = Customer.new(fields, customer_id, "system:seed", now)
        subscription = Subscription(
            id=subscription_id,
            customer_id=customer_id,
            plan=rng.choice(["gym-monthly", "saas-pro", "magazine"]),
            renews_at=today + timedelta(days=rng.randrange(1, 366)),
            price="19.90",
            currency="EUR",
            started_at=now,
            version=1,
            created_at=now,
            created_by="system:seed",
            updated_at=now,
            updated_by="system:seed",
        )
        subscription = subscription.model_copy(update={"reminders": reminders_due(subscription, (30, 7, 1), today)})
        profile = profiles.new_profile_item(customer)
        profile["subscriptions"] = to_value({subscription_id: subscription.model_dump(mode="json", exclude_none=True)})
        if consented:
            state = ConsentState(
                channel="email",
                purpose="reminders",
                status="granted",
                legal_basis="consent",
                source="seed",
                captured_at=now,
                captured_by="system:seed",
            )
            stored = state.model_dump(mode="json", exclude_none=True, exclude={"allowed_now"})
            profile["consents"] = to_value({"email:reminders": stored})
        items += [profile, subscription_item(subscription), *reminder_items(subscription)]
        for reminder in subscription.reminders:
            due.setdefault(reminder.on.isoformat(), []).append((subscription_id, consented))
    return SubscriptionBase(items, due)
