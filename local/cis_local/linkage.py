"""A yardstick for duplicate detection: generated people, duplicates of them with the mistakes real
data has (in proportions you set), households of different people who look alike, and the truth.

    python -m cis_local.linkage fit       # EM on generated data: writes cis/domain/matching_weights.py
    python -m cis_local.linkage measure   # precision, recall and F1 of the matcher on generated data

`people()` makes a base of plausible people from several countries (names, emails, E.164 phones,
birthdays, postal addresses with country codes: valid create bodies), some of them living together
(a spouse, a child, a son named after his father: same family name, address and landline). Then
`population()` enters some of them again (`duplicate()`) with one or more corruptions from `KINDS`: names swapped,
typos in short or long names, a nickname, a name replaced, a birthday digit changed or its day and
month exchanged, postcode digits transposed, another house number, a misspelt street, locality or
region, another email or phone, a slip in a phone number, a field left blank. Deterministic from a seed.

`create_time`, `listing` and `baseline` measure a matcher the way the API uses it (each record against
the records filed before it, through blocking) and an offline Fellegi-Sunter baseline (recordlinkage's
ECM classifier, a bench-only dependency) on the same records.
"""

from __future__ import annotations

import argparse
import copy
import math
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

# -- the base: people from several countries ----------------------------------------------------

COUNTRIES = {
    "GB": {
        "given": "Oliver George Harry Jack Charlie Thomas James William Ben Sam Joe Daniel Adam Ryan Amelia Olivia "
        "Isla Emily Ava Sophie Grace Lily Chloe Ella Ann Amy Jo Kate Rose Lucy Hannah Ellie Zoe Megan Priya Aisha",
        "family": "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White "
        "Roberts Green Hall Wood Jackson Clarke Patel Khan Hughes Edwards Lewis Harris Ward Turner Cooper Hill Moore "
        "Ali Lee Kaur Asche Ng Fox Day",
        "streets": "High Station Church Victoria Green Park Manor Mill Kings Queens Albert Windsor Chapel Grange "
        "Orchard Bridge Meadow York Alexandra Springfield",
        "suffixes": "Street Road Lane Close Avenue Gardens Way Crescent",
        "places": [
            ("London", "Greater London", "SW1Y 4JH"),
            ("London", "Greater London", "E1 6AN"),
            ("Manchester", "Greater Manchester", "M1 1AE"),
            ("Edinburgh", "Scotland", "EH7 4AA"),
            ("Bristol", "Somerset", "BS1 4DJ"),
            ("Leeds", "West Yorkshire", "LS1 4AP"),
        ],
        "domains": "gmail.com outlook.com btinternet.com yahoo.co.uk",
    },
    "US": {
        "given": "James Robert John Michael David William Richard Joseph Thomas Christopher Daniel Matthew Anthony "
        "Mark "
        "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Betty Ashley Emily Kim Ed "
        "Al Jose Maria Carlos Luis Mei Wei",
        "family": "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
        "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez "
        "Lewis Robinson Walker Young Allen King Nguyen Chen Wu Cox",
        "streets": "Main Oak Maple Washington Elm Pine Cedar Lake Hill Park Sunset Jefferson Lincoln Madison Walnut "
        "Spring Ridge Highland Franklin Willow",
        "suffixes": "Street Avenue Drive Boulevard Lane Court Road Way",
        "places": [
            ("San Francisco", "CA", "94103"),
            ("New York", "NY", "10001"),
            ("Austin", "TX", "78701"),
            ("Chicago", "IL", "60614"),
            ("Seattle", "WA", "98109"),
            ("Boston", "MA", "02116"),
        ],
        "domains": "gmail.com yahoo.com outlook.com icloud.com aol.com",
    },
    "DE": {
        "given": "Jürgen Klaus Stefan Andreas Michael Thomas Peter Wolfgang Uwe Jan Lukas Felix Max Paul Jonas Tim "
        "Sabine Petra Monika Ursula Claudia Anja Katrin Julia Lea Anna Lena Marie Eva Ute Jörg Björn Maximilian Sven",
        "family": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
        "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner "
        "Krause Meier Lehmann Weiß Huber Kaiser Fuchs Peters Vogel Roth Beck",
        "streets": "Haupt Schul Garten Bahnhof Dorf Berg Linden Kirch Wald Ring Birken Amsel Mühlen Rosen Buchen "
        "Goethe Schiller Feld Wiesen Sonnen",
        "suffixes": "straße weg allee platz",
        "places": [
            ("Berlin", "Berlin", "10115"),
            ("Berlin", "Berlin", "10997"),
            ("München", "Bayern", "80331"),
            ("Hamburg", "Hamburg", "20095"),
            ("Köln", "Nordrhein-Westfalen", "50667"),
            ("Leipzig", "Sachsen", "04109"),
        ],
        "domains": "gmail.com web.de gmx.de t-online.de",
    },
    "FR": {
        "given": "Jean Pierre Michel André Philippe Louis Nicolas François Hugo Léo Lucas Gabriel Arthur Jules Marie "
        "Nathalie Isabelle Sylvie Catherine Françoise Camille Léa Manon Chloé Inès Emma Zoé Renée Anaïs Luc Yves",
        "family": "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
        "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier Dupont Lambert Bonnet "
        "François Martinez Legrand Faure Rousseau Blanc Guérin Muller Henry Roussel Nicolas Perrin",
        "streets": "de la Paix|Victor Hugo|Jean Jaurès|Pasteur|Voltaire|de Lyon|de la République|Gambetta|du Moulin|"
        "des Écoles|de la Gare|Carnot|Émile Zola|du Château|des Lilas|Foch|de Verdun|Nationale",
        "suffixes": "Rue Avenue Boulevard Allée",
        "places": [
            ("Paris", "Île-de-France", "75011"),
            ("Paris", "Île-de-France", "75015"),
            ("Lyon", "Auvergne-Rhône-Alpes", "69002"),
            ("Marseille", "Provence-Alpes-Côte d'Azur", "13001"),
            ("Toulouse", "Occitanie", "31000"),
        ],
        "domains": "gmail.com orange.fr free.fr laposte.net",
    },
    "ES": {
        "given": "Antonio José Manuel Francisco David Juan Javier Daniel Carlos Jesús Alejandro Miguel Pablo Sergio "
        "María Carmen Ana Isabel Laura Cristina Marta Lucía Paula Elena Sara Pilar Rosa Raquel Inés Eva",
        "family": "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz "
        "Hernández Díaz Moreno Muñoz Álvarez Romero Alonso Gutiérrez Navarro Torres Domínguez Vázquez Ramos Gil "
        "Ramírez Serrano Blanco Molina Morales Suárez Ortega Delgado Castro Ortiz Rubio Marín Sanz Núñez",
        "streets": "Mayor|Real|de la Constitución|del Sol|de España|Nueva|de Alcalá|del Carmen|San Juan|"
        "de la Iglesia|Cervantes|del Mar|de Goya|Serrano|de la Paz|Colón",
        "suffixes": "Calle Avenida Plaza Paseo",
        "places": [
            ("Madrid", "Madrid", "28013"),
            ("Madrid", "Madrid", "28045"),
            ("Barcelona", "Cataluña", "08002"),
            ("Valencia", "Comunidad Valenciana", "46001"),
            ("Sevilla", "Andalucía", "41004"),
        ],
        "domains": "gmail.com hotmail.es yahoo.es telefonica.net",
    },
    "AU": {
        "given": "Jack Oliver William Noah Thomas Lachlan Cooper Liam Ethan Riley Mitchell Jake Charlotte Olivia Mia "
        "Ruby Chloe Isabella Sophie Matilda Zoe Jessica Emily Grace Georgia Tahlia Bree Kylie Ned Tim Bob Liz",
        "family": "Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen Thomas "
        "Walker "
        "Harris Lee Ryan Robinson Kelly King Davis Wright Evans Roberts Green Hall Wood Jackson Clarke Mitchell "
        "Murphy O'Brien Kennedy Sullivan Campbell Stewart Dunn Neumann Painter",
        "streets": "Stanley Pinkerton George Bay Hill Ocean Wattle Banksia Church Victoria Elizabeth Albert Railway "
        "Beach River Murray Mitchell Bent Spring Acacia",
        "suffixes": "Street Circuit Road Crescent Parade Avenue Place Close",
        "places": [
            ("Sydney", "NSW", "2000"),
            ("Winston Hills", "NSW", "2153"),
            ("Melbourne", "VIC", "3000"),
            ("Brisbane", "QLD", "4000"),
            ("Richlands", "QLD", "4077"),
            ("Perth", "WA", "6000"),
        ],
        "domains": "gmail.com bigpond.com outlook.com optusnet.com.au",
    },
}
COUNTRY_SHARE = {"GB": 0.2, "US": 0.25, "DE": 0.15, "FR": 0.12, "ES": 0.1, "AU": 0.18}
PHONE_PREFIXES = {  # (prefix, digits after it): numbers phonenumbers takes as valid
    "GB": [("+447", 9), ("+4420", 8)],
    "US": [("+1415", 7), ("+1212", 7), ("+1512", 7), ("+1312", 7)],
    "DE": [("+49151", 8), ("+4930", 8)],
    "FR": [("+336", 8), ("+331", 8)],
    "ES": [("+346", 8), ("+3491", 7)],
    "AU": [("+614", 8), ("+612", 8)],
}
NICKNAMES = {
    "robert": ["Bob", "Rob", "Bobby"], "william": ["Bill", "Will", "Liam"], "elizabeth": ["Liz", "Beth"],
    "james": ["Jim", "Jimmy", "Jamie"], "michael": ["Mike", "Mick"], "thomas": ["Tom", "Tommy"],
    "richard": ["Rick", "Dick"], "joseph": ["Joe", "Joey"], "daniel": ["Dan", "Danny"], "matthew": ["Matt"],
    "anthony": ["Tony"], "christopher": ["Chris"], "jennifer": ["Jen", "Jenny"], "patricia": ["Pat", "Patty"],
    "susan": ["Sue", "Susie"], "jessica": ["Jess"], "catherine": ["Cathy", "Kate"], "samuel": ["Sam"],
    "benjamin": ["Ben"], "oliver": ["Ollie"], "charlotte": ["Lottie"], "alejandro": ["Alex"],
    "francisco": ["Paco"], "jose": ["Pepe"], "isabella": ["Bella"], "margaret": ["Peggy", "Maggie"],
    "nicolas": ["Nico"], "maximilian": ["Max"], "lachlan": ["Lachie"], "edward": ["Ed", "Ted"],
}  # fmt: skip
KEYBOARD = "qwertyuiop asdfghjkl zxcvbnm"

# The corruptions and how often each is drawn (relative). A duplicate has one to three of them.
KINDS = {
    "name_typo": 2.5,  # one or two letters, often in a short name
    "field_missing": 2.0,  # one field left blank
    "new_email": 1.5,
    "new_phone": 1.0,
    "phone_typo": 0.5,  # one digit, or two adjacent ones exchanged
    "nickname": 1.0,
    "address_typo": 1.0,  # the street, the locality or the region misspelt
    "birthday_typo": 1.0,
    "names_swapped": 0.8,
    "birthday_day_month": 0.6,
    "postcode_transposed": 0.6,
    "street_number": 0.6,
    "transliteration": 0.6,  # accents dropped, ü typed ue
    "name_replaced": 0.5,  # another given name (a middle name used), or a new family name
}
CORRUPTIONS_PER_DUPLICATE = {1: 0.45, 2: 0.4, 3: 0.15}


@dataclass
class Record:
    body: dict  # a create body the API accepts
    person: int  # records with the same number are one person
    kinds: tuple[str, ...] = ()  # the corruptions that made it, for a duplicate


@dataclass
class Population:
    records: list[Record]
    kinds: dict[str, float] = field(default_factory=dict)

    def true_pairs(self) -> set[tuple[int, int]]:
        by_person: dict[int, list[int]] = {}
        for index, record in enumerate(self.records):
            by_person.setdefault(record.person, []).append(index)
        return {(a, b) for group in by_person.values() for i, a in enumerate(group) for b in group[i + 1 :]}


def _words(text: str) -> list[str]:
    return text.split()


def _weighted(rng: random.Random, items: list[str], flatness: int = 8) -> str:
    """Names come in a long tail: the first of a list is the most common (Zipf-like, flattened)."""
    weights = [1 / (rank + flatness) for rank in range(len(items))]
    return rng.choices(items, weights)[0]


SYLLABLES = {
    "GB": "ash ford bur ton wick ham ley mor well cot brook hurst dale field stan ridge",
    "US": "mc carl ander kow alski berg son wood ham mill ford ington ell ey nor ton",
    "DE": "ober hau sen bach mann berg dorf feld hof stein brück ner lin gen kirch wald",
    "FR": "beau champ mont vill ier eau ard lac roch ette gou dan ois mar tel vin",
    "ES": "val ver de cas tro ega ar iz mon zal ez ur gar cia bel oso",
    "AU": "mac kin tyre dow ling ash cott ridge wal lace fer guson bray den holt",
}


def _family_name(rng: random.Random, country: str) -> str:
    """Most family names are common ones; a long tail is rare (here: made of the country's syllables)."""
    if rng.random() < 0.6:
        return _weighted(rng, _words(COUNTRIES[country]["family"]), 20)
    parts = _words(SYLLABLES[country])
    return "".join(rng.choice(parts) for _ in range(rng.choice([2, 2, 3]))).capitalize()


def _phone(rng: random.Random, country: str) -> str:
    import phonenumbers

    while True:
        prefix, digits = rng.choice(PHONE_PREFIXES[country])
        number = prefix + "".join(rng.choice("0123456789") for _ in range(digits))
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def _ascii_local(text: str) -> str:
    from anyascii import anyascii

    return "".join(c for c in anyascii(text).lower() if c.isalnum())


def _email(rng: random.Random, given: str, family: str, born: int | None, domains: list[str]) -> str:
    g, f = _ascii_local(given), _ascii_local(family)
    year = str(born or rng.randrange(1950, 2005))
    local = rng.choice(
        [f"{g}.{f}", f"{g}{f}", f"{g[0]}{f}", f"{g}.{f}{year[2:]}", f"{f}.{g}", f"{g}{rng.randrange(1, 999)}"]
    )
    return f"{local}@{rng.choice(domains)}"


def _birthday(rng: random.Random, low: int = 1940, high: int = 2006) -> str:
    start = date(low, 1, 1)
    return (start + timedelta(days=rng.randrange((date(high, 12, 31) - start).days))).isoformat()


def _address(rng: random.Random, country: str) -> dict:
    spec = COUNTRIES[country]
    locality, region, postcode = rng.choice(spec["places"])
    name = rng.choice(spec["streets"].split("|" if "|" in spec["streets"] else None))
    suffix = rng.choice(_words(spec["suffixes"]))
    number = rng.randrange(1, 250)
    if country == "DE":
        line = f"{name}{suffix} {number}"
    elif country == "ES":
        line = f"{suffix} {name} {number}"
    elif country == "FR":
        line = f"{number} {suffix} {name}"
    else:
        line = f"{number} {name} {suffix}"
    return {"lines": [line], "locality": locality, "region": region, "postal_code": postcode, "country": country}


def _person(rng: random.Random, country: str, family: str | None = None, home: dict | None = None) -> dict:
    spec = COUNTRIES[country]
    given = _weighted(rng, _words(spec["given"]))
    family = family or _family_name(rng, country)
    birthday = _birthday(rng)
    body: dict = {"given_name": given, "family_name": family}
    if rng.random() < 0.85:
        body["birthday"] = birthday
    if rng.random() < 0.75:
        body["emails"] = [{"address": _email(rng, given, family, int(birthday[:4]), _words(spec["domains"]))}]
    if rng.random() < 0.65:
        body["phones"] = [{"number": _phone(rng, country)}]
    if home or rng.random() < 0.8:
        body["addresses"] = [copy.deepcopy(home or _address(rng, country))]
    return body


def _household(rng: random.Random, head: dict, country: str) -> list[dict]:
    """Different people who live with `head`: a spouse or a child, some a junior of the same name."""
    members = []
    home = (head.get("addresses") or [_address(rng, country)])[0]
    taken, junior = {head["given_name"]}, False
    for _ in range(rng.choice([1, 1, 2, 3])):
        member = _person(rng, country, head["family_name"], home)
        while member["given_name"] in taken:  # no family gives two of its living members one given name...
            member["given_name"] = _weighted(rng, _words(COUNTRIES[country]["given"]))
        if "phones" in head and rng.random() < 0.6:  # the landline
            member["phones"] = copy.deepcopy(head["phones"])
        if not junior and rng.random() < 0.15:
            member["given_name"], junior = head["given_name"], True  # ...but a son named after his father (one)
        taken.add(member["given_name"])
        if "emails" in member:  # their own mailbox, made of their own name
            born = int(member["birthday"][:4]) if member.get("birthday") else None
            domains = _words(COUNTRIES[country]["domains"])
            member["emails"] = [{"address": _email(rng, member["given_name"], member["family_name"], born, domains)}]
        if head.get("birthday") and member.get("birthday") == head["birthday"]:
            member["birthday"] = _birthday(rng)
        if member["given_name"] == head["given_name"] and head.get("birthday") and not member.get("birthday"):
            year = int(head["birthday"][:4])
            year = year + 27 if year + 27 <= 2006 else year - 27  # the son, or the father
            member["birthday"] = f"{year}{head['birthday'][4:].replace('02-29', '02-28')}"
        members.append(member)
    return members


def people(size: int, seed: int, households: float = 0.1) -> list[Record]:
    """`size` distinct people, a share of them living with others (who count towards `size`)."""
    rng = random.Random(seed)
    countries, shares = zip(*COUNTRY_SHARE.items(), strict=True)
    records: list[Record] = []
    mailboxes: set[str] = set()

    def own_mailbox(body: dict) -> dict:
        """A mailbox is one person's: a name already taken at that provider gets a number, as sign-up does."""
        for item in body.get("emails") or []:
            local, _, domain = item["address"].partition("@")
            while f"{local}@{domain}" in mailboxes:
                local = f"{local}{rng.randrange(1, 99)}"
            mailboxes.add(f"{local}@{domain}")
            item["address"] = f"{local}@{domain}"
        return body

    while len(records) < size:
        country = rng.choices(countries, shares)[0]
        head = own_mailbox(_person(rng, country))
        records.append(Record(head, len(records)))
        if rng.random() < households:
            for member in _household(rng, head, country):
                if len(records) < size:
                    records.append(Record(own_mailbox(member), len(records)))
    return records


# -- corruptions -------------------------------------------------------------------------------


def typo(rng: random.Random, word: str, slips: int = 1) -> str:
    """A keyboard slip: a letter changed to a neighbour, dropped, doubled, or two letters exchanged."""
    for _ in range(slips):
        letters = [i for i, c in enumerate(word) if c.isalpha()]
        if len(letters) < 2:
            return word
        at = rng.choice(letters)
        kind = rng.choice(["neighbour", "drop", "insert", "transpose"])
        if kind == "transpose" and at + 1 < len(word) and word[at + 1].isalpha() and word[at] != word[at + 1]:
            word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
        elif kind == "drop" and len(letters) > 3:
            word = word[:at] + word[at + 1 :]
        elif kind == "insert":
            word = word[:at] + rng.choice("aeinrst") + word[at:]
        else:
            row = next((row for row in KEYBOARD.split() if word[at].lower() in row), KEYBOARD.split()[0])
            place = row.index(word[at].lower()) if word[at].lower() in row else 0
            new = row[max(0, min(len(row) - 1, place + rng.choice([-1, 1])))]
            word = word[:at] + (new.upper() if word[at].isupper() else new) + word[at + 1 :]
    return word


def _valid_date(text: str) -> bool:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return False
    return day.year >= 1900 and day <= date(2025, 12, 31)


def _birthday_typo(rng: random.Random, birthday: str) -> str | None:
    digits = [i for i, c in enumerate(birthday) if c.isdigit()]
    for _ in range(20):
        at = rng.choice(digits[2:])  # the century is seldom mistyped
        changed = birthday[:at] + rng.choice([d for d in "0123456789" if d != birthday[at]]) + birthday[at + 1 :]
        if _valid_date(changed):
            return changed
    return None


def _without_accents(text: str) -> str:
    from anyascii import anyascii

    for accented, typed in (("ü", "ue"), ("ö", "oe"), ("ä", "ae"), ("ß", "ss"), ("Ü", "Ue"), ("Ö", "Oe")):
        text = text.replace(accented, typed)
    return anyascii(text)


def corrupt(rng: random.Random, body: dict, kind: str, country: str) -> bool:
    """Apply one corruption in place; False when it does not apply to this record."""
    spec = COUNTRIES[country]
    address = (body.get("addresses") or [None])[0]
    if kind in ("new_email", "names_swapped", "name_typo", "nickname", "name_replaced", "transliteration") and not (
        body.get("given_name") and body.get("family_name")
    ):
        return False
    if kind == "names_swapped":
        body["given_name"], body["family_name"] = body["family_name"], body["given_name"]
    elif kind == "name_typo":
        which = "given_name" if rng.random() < 0.5 else "family_name"
        name = body[which]
        body[which] = typo(rng, name, 2 if len(name) >= 8 and rng.random() < 0.4 else 1)
        return body[which] != name
    elif kind == "nickname":
        options = NICKNAMES.get(_ascii_local(body["given_name"]))
        if not options:
            return False
        body["given_name"] = rng.choice(options)
    elif kind == "name_replaced":
        if rng.random() < 0.7:
            body["given_name"] = rng.choice(
                [g for g in _words(spec["given"]) if g != body["given_name"]]
            )  # a middle name
        else:
            before = body["family_name"]
            while body["family_name"] == before:  # married, or an old record under another name
                body["family_name"] = _family_name(rng, country)
    elif kind == "birthday_typo":
        changed = _birthday_typo(rng, body["birthday"]) if body.get("birthday") else None
        if not changed:
            return False
        body["birthday"] = changed
    elif kind == "birthday_day_month":
        year, month, day = (body.get("birthday") or "--").split("-")
        if not body.get("birthday") or day == month or int(day) > 12:
            return False
        body["birthday"] = f"{year}-{day}-{month}"
    elif kind == "postcode_transposed":
        code = address and address["postal_code"]
        spots = [i for i in range(len(code or "") - 1) if code[i].isdigit() and code[i + 1].isdigit()]
        spots = [i for i in spots if code[i] != code[i + 1]]
        if not spots:
            return False
        at = rng.choice(spots)
        address["postal_code"] = code[:at] + code[at + 1] + code[at] + code[at + 2 :]
    elif kind == "street_number":
        if not address:
            return False
        line = address["lines"][0]
        number = next(word for word in line.split() if word.isdigit())
        address["lines"][0] = line.replace(
            number, str(rng.choice([int(number) + 1, int(number) + 2, rng.randrange(1, 250)]))
        )
        return address["lines"][0] != line
    elif kind == "address_typo":
        if not address:
            return False
        part = rng.choice(["street", "street", "locality", "region"])
        if part == "street":
            words = address["lines"][0].split()
            at = max(range(len(words)), key=lambda i: len(words[i]))
            words[at] = typo(rng, words[at])
            address["lines"][0] = " ".join(words)
        else:
            address[part] = typo(rng, address[part]) if len(address[part]) > 3 else address[part].lower()
    elif kind == "new_email":
        body["emails"] = [
            {"address": _email(rng, body.get("given_name") or "x", body["family_name"], None, _words(spec["domains"]))}
        ]
    elif kind == "new_phone":
        body["phones"] = [{"number": _phone(rng, country)}]
    elif kind == "phone_typo":
        if not body.get("phones"):
            return False
        import phonenumbers

        number = body["phones"][0]["number"]
        for _ in range(20):
            at = rng.randrange(len(number) - 6, len(number) - 1)
            changed = (
                number[:at] + number[at + 1] + number[at] + number[at + 2 :]
                if rng.random() < 0.5
                else number[:at] + rng.choice("0123456789") + number[at + 1 :]
            )
            if changed != number and phonenumbers.is_valid_number(phonenumbers.parse(changed)):
                body["phones"] = [{"number": changed}]
                return True
        return False
    elif kind == "field_missing":
        names = ["given_name", "family_name"] if body.get("given_name") and body.get("family_name") else []
        present = [name for name in ("emails", "phones", "birthday", "addresses") if body.get(name)]
        present += [rng.choice(names)] if names and rng.random() < 0.5 else []
        if len(present) < 2:
            return False
        body.pop(rng.choice(present))
    elif kind == "transliteration":
        before = (body["given_name"], body["family_name"])
        body["given_name"], body["family_name"] = _without_accents(before[0]), _without_accents(before[1])
        return before != (body["given_name"], body["family_name"])
    return True


def duplicate(rng: random.Random, original: Record, kinds: dict[str, float], count: int | None = None) -> Record:
    """`original` entered again, with `count` corruptions drawn from `kinds` (by their weights)."""
    body = copy.deepcopy(original.body)
    country = next((a["country"] for a in body.get("addresses") or []), None) or _guess_country(body)
    count = count or rng.choices(list(CORRUPTIONS_PER_DUPLICATE), list(CORRUPTIONS_PER_DUPLICATE.values()))[0]
    names, weights = list(kinds), list(kinds.values())
    applied: list[str] = []
    for _ in range(count * 4):
        if len(applied) == count:
            break
        kind = rng.choices(names, weights)[0]
        if kind not in applied and corrupt(rng, body, kind, country):
            applied.append(kind)
    return Record(body, original.person, tuple(applied))


def _guess_country(body: dict) -> str:
    for phone in body.get("phones") or []:
        for country, prefixes in PHONE_PREFIXES.items():
            if any(phone["number"].startswith(prefix) for prefix, _ in prefixes):
                return country
    return "GB"


def population(
    size: int = 3000,
    duplicates: float = 0.2,
    kinds: dict[str, float] | None = None,
    seed: int = 17,
    households: float = 0.1,
) -> Population:
    """`size` distinct people, then duplicates of a share of them (a few twice), shuffled."""
    kinds = kinds or KINDS
    rng = random.Random(seed)
    base = people(size, seed, households)
    extra = []
    for original in rng.sample(base, int(size * duplicates)):
        extra.append(duplicate(rng, original, kinds))
        if rng.random() < 0.1:
            extra.append(duplicate(rng, original, kinds))
    records = base + extra
    rng.shuffle(records)
    return Population(records, kinds)


def one_of_each(seed: int = 3, size: int = 300) -> dict[str, list[tuple[dict, dict]]]:
    """For every kind, (original, duplicate) pairs of complete records with that one corruption."""
    rng = random.Random(seed)
    complete = [
        r for r in people(size, seed, households=0) if {"birthday", "emails", "phones", "addresses"} <= set(r.body)
    ]
    found: dict[str, list[tuple[dict, dict]]] = {kind: [] for kind in KINDS}
    for record in complete:
        for kind in KINDS:
            copy_ = duplicate(rng, record, {kind: 1.0}, count=1)
            if copy_.kinds == (kind,):
                found[kind].append((record.body, copy_.body))
    return found


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class Quality:
    threshold: float
    found: set[tuple[int, int]]
    truth: set[tuple[int, int]]
    compared: int
    per_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (found, true pairs)

    @property
    def precision(self) -> float:
        return len(self.found & self.truth) / len(self.found) if self.found else 1.0

    @property
    def recall(self) -> float:
        return len(self.found & self.truth) / len(self.truth) if self.truth else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def scored_candidates(population: Population) -> tuple[list[tuple[int, int, float]], int]:
    """Every pair blocking lets through, each record against those filed before it, with its score."""
    from cis.domain.matching import Fingerprint, compare

    prints = [Fingerprint.of(record.body) for record in population.records]
    filed: dict[str, list[int]] = {}
    scored = []
    for index, fingerprint in enumerate(prints):
        seen = {other for key in fingerprint.probe_keys() for other in filed.get(key, [])}
        scored += [(other, index, compare(fingerprint, prints[other]).score) for other in sorted(seen)]
        for key in fingerprint.blocking_keys():
            filed.setdefault(key, []).append(index)
    return scored, len(scored)


def quality(population: Population, scored: list[tuple[int, int, float]], threshold: float) -> Quality:
    truth = population.true_pairs()
    found = {(a, b) for a, b, score in scored if score >= threshold}
    return Quality(threshold, found, truth, len(scored), per_kind(population, found, truth))


def per_kind(population: Population, found: set, truth: set) -> dict[str, tuple[int, int]]:
    """Recall by corruption kind: of the true pairs whose duplicate carries that kind, how many were found."""
    counts: dict[str, list[int]] = {}
    for a, b in truth:
        for kind in set(population.records[a].kinds) | set(population.records[b].kinds):
            counts.setdefault(kind, [0, 0])
            counts[kind][1] += 1
            counts[kind][0] += (a, b) in found
    return {kind: (hits, total) for kind, (hits, total) in sorted(counts.items())}


def create_time(population: Population) -> Quality:
    """As a create sees the base: each record against those before it, a likely duplicate (409)."""
    from cis.domain.matching import LIKELY

    return quality(population, scored_candidates(population)[0], LIKELY)


def listing(population: Population) -> Quality:
    """As /v1/duplicates lists pairs: the same candidates, at the listing threshold."""
    from cis.domain.matching import LISTED

    return quality(population, scored_candidates(population)[0], LISTED)


def table(population: Population):
    """The records as a pandas frame of plain fields, as an offline linkage tool takes them."""
    import pandas as pd
    from cis.domain.matching import Fingerprint, Place, sound

    rows = []
    for record in population.records:
        fp = Fingerprint.of(record.body)
        place = Place.of(fp.addresses[0]) if fp.addresses else Place("", "", "", "", "")
        rows.append(
            {
                "given": fp.given or None,
                "family": fp.family or None,
                "given_sound": sound(fp.given) or None,
                "family_sound": sound(fp.family) or None,
                "birthday": fp.birthday or None,
                "birth_year": fp.birthday[:4] or None,
                "postcode": place.postcode or None,
                "number": place.number or None,
                "street": place.street or None,
                "locality": place.locality or None,
                "email": fp.emails[0] if fp.emails else None,
                "phone": fp.phones[0] if fp.phones else None,
            }
        )
    return pd.DataFrame(rows)


def _baseline_frame(population: Population):
    frame = table(population)
    frame["birth_month"] = frame.birthday.str[5:7]
    frame["birth_day"] = frame.birthday.str[8:10]
    frame["user"] = frame.email.str.split("@").str[0]
    parts = [frame[name].fillna("") for name in ("number", "street", "postcode", "locality")]
    frame["address"] = (parts[0] + " " + parts[1] + " " + parts[2] + " " + parts[3]).str.strip().replace("", None)
    return frame


# Both baselines block on a union of keys (each pair once), as Febrl's and splink's examples do.
BASELINE_BLOCKS = (
    ("family_sound", "birth_year"),
    ("given_sound", "birth_year"),
    ("family_sound", "given_sound"),
    ("birthday",),
    ("postcode", "family_sound"),
    ("postcode", "given_sound"),
    ("postcode", "street"),
    ("email",),
    ("user",),
    ("phone",),
)


def baseline(population: Population) -> Quality:
    """recordlinkage's ECM classifier (unsupervised Fellegi-Sunter, EM on binary agreement vectors) as
    its Febrl examples configure it: a union of blocks on name sounds, birth year, birthday, postcode,
    street, email, mailbox user and phone; Jaro-Winkler >= 0.85 on names (and given against family, for
    names exchanged), street and locality; exact on birthday parts, postcode, house number, email, user
    and phone."""
    import recordlinkage

    frame = _baseline_frame(population)
    indexer = recordlinkage.Index()
    for keys in BASELINE_BLOCKS:
        indexer.block(left_on=list(keys))
    pairs = indexer.index(frame)
    compare = recordlinkage.Compare()
    for left, right in (("given", "given"), ("family", "family"), ("given", "family")):
        compare.string(left, right, method="jarowinkler", threshold=0.85, label=f"{left}_{right}")
    for name in ("birth_year", "birth_month", "birth_day", "postcode", "number", "email", "user", "phone"):
        compare.exact(name, name, label=name)
    for name in ("street", "locality"):
        compare.string(name, name, method="jarowinkler", threshold=0.85, label=name)
    features = compare.compute(pairs, frame)
    matches = recordlinkage.ECMClassifier(binarize=None).fit_predict(features)
    found = {(min(a, b), max(a, b)) for a, b in matches}
    truth = population.true_pairs()
    return Quality(0.5, found, truth, len(pairs), per_kind(population, found, truth))


def splink_baseline(population: Population) -> Quality:
    """splink (DuckDB) as its tutorials configure a dedupe: name comparisons (exact, Jaro-Winkler,
    Jaro, Damerau-Levenshtein levels) with term-frequency adjustment, a date-of-birth comparison, the
    address line as one Jaro-Winkler comparison and the phone a slip apart, both with term-frequency
    adjustment (a household's home weighs less), the email exact; the prior from deterministic rules
    (name and birthday, or email; recall 0.7), u from random pairs, m by EM blocked on the name and on
    the birthday; pairs at a match probability >= 0.5, blocked as recordlinkage's are."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = _baseline_frame(population)
    frame["unique_id"] = range(len(frame))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given").configure(term_frequency_adjustments=True),
            cl.NameComparison("family").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birthday", input_is_string=True),
            cl.JaroWinklerAtThresholds("address", [0.97, 0.9]).configure(term_frequency_adjustments=True),
            cl.ExactMatch("email"),
            cl.DamerauLevenshteinAtThresholds("phone", [1]).configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[block_on(*keys) for keys in BASELINE_BLOCKS],
    )
    logging.getLogger("splink").setLevel(logging.ERROR)
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given", "family", "birthday"), block_on("email")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for rule in (block_on("given", "family"), block_on("birthday")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predicted = linker.inference.predict().as_pandas_dataframe()  # every blocked pair, with its probability
    matched = predicted[predicted.match_probability >= 0.5]
    found = {(min(a, b), max(a, b)) for a, b in zip(matched.unique_id_l, matched.unique_id_r, strict=True)}
    truth = population.true_pairs()
    return Quality(0.5, found, truth, len(predicted), per_kind(population, found, truth))


# -- fitting the weights -------------------------------------------------------------------------

WEIGHTS_MODULE = (
    Path(__file__).resolve().parents[2] / "layers" / "cis" / "python" / "cis" / "domain" / "matching_weights.py"
)
FIT_SEED, FIT_SIZE = 101, 6000  # never the bench's or the tests' seed


def comparison_vectors(population: Population) -> list[dict[str, str]]:
    """Each blocked pair's level per field (fields missing on a side are left out)."""
    from cis.domain.matching import Fingerprint, levels

    prints = [Fingerprint.of(record.body) for record in population.records]
    filed: dict[str, list[int]] = {}
    vectors = []
    for index, fingerprint in enumerate(prints):
        seen = {other for key in fingerprint.probe_keys() for other in filed.get(key, [])}
        vectors += [
            {name: code for name, (code, _) in levels(fingerprint, prints[other]).items()} for other in sorted(seen)
        ]
        for key in fingerprint.blocking_keys():
            filed.setdefault(key, []).append(index)
    return vectors


def em(vectors: list[dict[str, str]], iterations: int = 60) -> tuple[float, dict[str, tuple[float, float]]]:
    """Fellegi-Sunter's two classes (one person, two people) by expectation-maximisation on the blocked
    pairs' levels, fields independent within a class, each field a categorical of its levels (a field
    missing on a side tells nothing). Returns the share of matches among the pairs and, per level, (m, u).

    u starts as each level's share of all blocked pairs (almost all of them two people) and is held while
    m and the share settle; the last step takes the settled matches out of it. Left free from the start,
    EM finds other splits of blocked pairs: those blocked on a place (one postcode, all else different)
    against those blocked on a name, or households (one family name, address and landline) against the rest.
    """
    counted = Counter(tuple(sorted(vector.items())) for vector in vectors)  # identical vectors weigh together
    field_of = {code: name for vector in vectors for name, code in vector.items()}
    levels_of: dict[str, list[str]] = {}
    for code, name in sorted(field_of.items()):
        levels_of.setdefault(name, []).append(code)
    seen = Counter(code for vector in vectors for code in vector.values())
    per_field = Counter(name for vector in vectors for name in vector)
    u = {code: seen[code] / per_field[field_of[code]] for code in field_of}
    against = (
        "different",
        "household",
        "same_postcode",
        "same_birth_year",
        "email_other",
    )  # evidence against, to start
    m = {code: 0.02 if code.startswith(against) else 0.5 for code in field_of}
    share = 0.03
    for iteration in range(iterations):
        level_m, level_u, field_m, field_u = Counter(), Counter(), Counter(), Counter()
        matches = 0.0
        for vector, times in counted.items():
            log_m = math.log(share) + sum(math.log(m[code]) for _, code in vector)
            log_u = math.log(1 - share) + sum(math.log(u[code]) for _, code in vector)
            posterior = 1 / (1 + math.exp(min(700.0, log_u - log_m)))
            matches += posterior * times
            for name, code in vector:
                level_m[code] += posterior * times
                field_m[name] += posterior * times
                level_u[code] += (1 - posterior) * times
                field_u[name] += (1 - posterior) * times
        share = matches / sum(counted.values())
        for name, codes in levels_of.items():  # half a count of smoothing: no level is ever impossible
            for code in codes:
                m[code] = (level_m[code] + 0.5) / (field_m[name] + 0.5 * len(codes))
                if iteration == iterations - 1:
                    u[code] = (level_u[code] + 0.5) / (field_u[name] + 0.5 * len(codes))
    return share, {code: (m[code], u[code]) for code in field_of}


def random_pair_levels(population: Population, pairs: int, seed: int) -> list[dict[str, str]]:
    """The levels of `pairs` pairs of records drawn at random (almost all of them two people)."""
    from cis.domain.matching import Fingerprint, levels

    rng = random.Random(seed)
    prints = [Fingerprint.of(record.body) for record in population.records]
    vectors = []
    for _ in range(pairs):
        a, b = rng.sample(range(len(prints)), 2)
        vectors.append({name: code for name, (code, _) in levels(prints[a], prints[b]).items()})
    return vectors


RANDOM_PAIRS = 300_000
COMMON_NAME_PEOPLE = 5  # a family name this many people of the fitted population carry is a common one


def _chunks(names: list[str], width: int) -> list[str]:
    """Names joined by |, in lines of at most `width` characters (a name is never split)."""
    lines = [""]
    for name in names:
        if lines[-1] and len(lines[-1]) + len(name) + 1 > width:
            lines.append("")
        lines[-1] += ("|" if lines[-1] or len(lines) > 1 else "") + name
    return lines


def fit(size: int = FIT_SIZE, seed: int = FIT_SEED) -> str:
    """m and the number of matches by EM on the blocked pairs of a generated population; u from random
    pairs of it (as splink's estimate_u_using_random_sampling); the constants module's text.

    u is not taken from the blocked pairs: those two people were filed under a shared key because they
    agree on something (a name, a birthday, a street), which makes that agreement look commoner among
    different people than it is and makes the fields depend on each other (blocked on a birthday, the
    names differ). Among random pairs, fields of two different people are close to independent, except
    in a household, which has levels of its own. The prior is then the odds that two records drawn at
    random are one person: the matches EM finds among the blocked pairs over all pairs.
    """
    import cis.domain.matching as matching
    from cis.domain.matching_weights import WEIGHTS

    people = population(size, seed=seed)
    carried = Counter(matching.plain(record.body.get("family_name")) for record in people.records if not record.kinds)
    common = sorted(name for name, count in carried.items() if name and count >= COMMON_NAME_PEOPLE)
    matching.COMMON_FAMILY_NAMES = frozenset(common)  # the levels below are those of the constants written
    vectors = comparison_vectors(people)
    share, probabilities = em(vectors)
    field_of = {code: name for vector in vectors for name, code in vector.items()}
    randoms = random_pair_levels(people, RANDOM_PAIRS, seed)
    field_of |= {code: name for vector in randoms for name, code in vector.items()}
    seen = Counter(code for vector in randoms for code in vector.values())
    per_field = Counter(name for vector in randoms for name in vector)
    width = Counter(field_of.values())
    u = {code: (seen[code] + 0.5) / (per_field[field_of[code]] + 0.5 * width[field_of[code]]) for code in field_of}
    records = len(people.records)
    matches = share * len(vectors)
    prior = matches / (records * (records - 1) / 2)
    lines = [
        '"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.',
        "",
        f"Written by `python -m cis_local.linkage fit` on a generated population ({size:,} people, seed {seed}):",
        f"m by EM on its {len(vectors):,} blocked pairs, u from {RANDOM_PAIRS:,} random pairs of its records; do",
        "not edit by hand. m: share of true duplicates at that level, u: share of two different people at it",
        "(comments). The prior is the odds that two records drawn at random are one person.",
        '"""',
        "",
        f"PRIOR = {math.log(prior / (1 - prior)):.2f}  # {matches:,.0f} matches among {records:,} records: {prior:.2e}",
        f'FITTED_ON = {{"people": {size}, "seed": {seed}}}  # a bench measures on another seed',
        f"# Family names at least {COMMON_NAME_PEOPLE} of its people carry: the same name under one of them is",
        "# same_name, under any other same_rare_name (a term-frequency level).",
        "_COMMON = (",
        *(f'    "{line}"' for line in _chunks(common, 100)),
        ")",
        'COMMON_FAMILY_NAMES = frozenset(_COMMON.split("|"))',
        "WEIGHTS = {",
    ]
    for code in sorted(set(field_of) | set(WEIGHTS)):
        if code not in field_of:  # a level no pair showed: it weighs nothing
            lines.append(f'    "{code}": 0.0,  # never seen')
            continue
        m = probabilities[code][0] if code in probabilities else 0.5 / (len(vectors) + 0.5)
        lines.append(f'    "{code}": {math.log(m / u[code]):.2f},  # m {m:.4f}, u {u[code]:.6f}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def report(population: Population, with_baseline: bool = False) -> None:
    scored, compared = scored_candidates(population)
    from cis.domain.matching import LIKELY, LISTED

    results = {"create (likely)": quality(population, scored, LIKELY), "listing": quality(population, scored, LISTED)}
    if with_baseline:
        results["recordlinkage (ECM)"] = baseline(population)
        results["splink"] = splink_baseline(population)
    print(f"{len(population.records)} records, {len(population.true_pairs())} true pairs, {compared} compared")
    for label, q in results.items():
        print(f"  {label:<16} precision {q.precision:.3f} recall {q.recall:.3f} F1 {q.f1:.3f}")
        print("     " + "  ".join(f"{kind} {hits}/{total}" for kind, (hits, total) in q.per_kind.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["fit", "measure"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "fit":
        WEIGHTS_MODULE.write_text(fit(args.size or FIT_SIZE, args.seed or FIT_SEED))
        print(f"written: {WEIGHTS_MODULE}")
    else:
        report(population(args.size or 3000, seed=args.seed or 17), args.baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
