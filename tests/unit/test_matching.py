"""Duplicate scoring: which evidence counts, what each corruption real data has does to it, and how
well blocking plus scoring does on a generated population with known truth (cis_local.linkage)."""

import math

import pytest
from cis.domain.matching import (
    LIKELY,
    MAX_BLOCKING_KEYS,
    PRIOR,
    WEIGHTS,
    Fingerprint,
    compare,
    mailbox,
)
from cis_local.linkage import KINDS, create_time, listing, one_of_each, population
from cis_local.synthetic import measure as synthetic_measure
from cis_local.synthetic import population as synthetic_population

HOME = {"lines": ["14 Elm Row"], "locality": "Edinburgh", "postal_code": "EH7 4AA", "country": "GB"}
PHONE = [{"number": "+447700900132"}]


def fp(**record) -> Fingerprint:
    return Fingerprint.of(record)


def codes(a: Fingerprint, b: Fingerprint) -> set[str]:
    return {reason.code for reason in compare(a, b).reasons}


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Jane.Doe@gmail.com", "janedoe+news@googlemail.com"),
        ("jane.doe+shop@example.com", "Jane.Doe@example.com"),
    ],
)
def test_provider_rules_make_two_spellings_one_mailbox(one, other):
    assert mailbox(one) == mailbox(other)


def test_dots_are_kept_where_the_provider_does_not_ignore_them():
    assert mailbox("jane.doe@example.com") != mailbox("janedoe@example.com")


def test_a_nickname_with_the_same_birthday_is_a_likely_duplicate():
    robert = fp(given_name="Robert", family_name="Smith", birthday="1980-05-17")
    bob = fp(given_name="Bob", family_name="Smyth", birthday="1980-05-17")
    match = compare(bob, robert)
    assert match.likely and {r.code for r in match.reasons} == {"nickname", "same_birthday"}


def test_transliterated_names_agree():
    assert codes(fp(given_name="Jürgen", family_name="Weiß"), fp(given_name="Juergen", family_name="Weiss")) == {
        "similar_name"
    }
    assert codes(fp(given_name="Zoë", family_name="Müller"), fp(given_name="ZOE", family_name="Muller")) == {
        "same_name"
    }


@pytest.mark.parametrize(("one", "other"), [("Asche", "Adche"), ("Ben", "Bne"), ("Li", "Li")])
def test_a_slip_in_a_short_name_is_still_the_same_name(one, other):
    assert codes(fp(given_name=one, family_name="Hughes"), fp(given_name=other, family_name="Hughes")) & {
        "same_name",
        "similar_name",
    }


def test_given_and_family_name_exchanged_are_recognized_as_such():
    assert "names_swapped" in codes(
        fp(given_name="Wei", family_name="Chen", birthday="1988-03-04"),
        fp(given_name="Chen", family_name="Wei", birthday="1988-03-04"),
    )


@pytest.mark.parametrize(
    ("one", "other", "code"),
    [
        ("1980-05-17", "1980-05-17", "same_birthday"),
        ("1980-05-17", "1980-05-19", "birthday_typo"),
        ("1980-05-17", "1908-05-17", "birthday_typo"),
        ("1980-05-07", "1980-07-05", "birthday_day_month_swapped"),
        ("1980-05-17", "1980-11-02", "same_birth_year"),
        ("1980-05-17", "2008-05-17", "different_birthday"),
    ],
)
def test_birthdays_compare_by_level_so_one_wrong_digit_no_longer_vetoes(one, other, code):
    assert code in codes(fp(family_name="Hughes", birthday=one), fp(family_name="Hughes", birthday=other))
    if code in ("birthday_typo", "birthday_day_month_swapped"):
        assert WEIGHTS[code] > 0


@pytest.mark.parametrize(
    ("changed", "code"),
    [
        (HOME, "same_address"),
        (HOME | {"postal_code": "EH4 7AA"}, "address_typo"),  # digits transposed
        (HOME | {"lines": ["14 Elm Rwo"]}, "address_typo"),
        (HOME | {"locality": "Edinburg", "region": "Scotlnd"}, "same_address"),  # the postcode and street agree
        (HOME | {"lines": ["16 Elm Row"]}, "same_street"),
        (HOME | {"lines": ["3 Leith Walk"]}, "same_postcode"),
        (HOME | {"lines": ["3 Leith Walk"], "postal_code": "G1 1AA", "locality": "Glasgow"}, "different_address"),
    ],
)
def test_addresses_compare_by_level(changed, code):
    assert code in codes(fp(family_name="Hughes", addresses=[HOME]), fp(family_name="Hughes", addresses=[changed]))


def test_the_same_number_typed_under_another_country_counts_as_the_same_phone():
    one = fp(display_name="A Person", phones=[{"number": "+14155550132"}])
    other = fp(display_name="A Person", phones=[{"number": "+444155550132"}])
    assert "same_phone_digits" in codes(one, other)


def test_a_field_missing_on_one_side_weighs_nothing():
    full = fp(given_name="Ann", family_name="Lee", birthday="1990-01-01", addresses=[HOME], phones=PHONE)
    assert codes(full, fp(given_name="Ann", family_name="Lee")) == {"same_name"}


def test_family_members_sharing_surname_address_and_phone_are_not_duplicates():
    mother = fp(given_name="Mary", family_name="Hughes", addresses=[HOME], phones=PHONE, birthday="1960-01-01")
    son = fp(given_name="Thomas", family_name="Hughes", addresses=[HOME], phones=PHONE, birthday="1990-02-02")
    match = compare(mother, son)
    assert not match.listed and {"household_address", "household_phone"} <= {r.code for r in match.reasons}


def test_a_father_and_son_with_one_name_address_and_phone_are_told_apart_by_birthday():
    father = fp(given_name="John", family_name="Hughes", addresses=[HOME], phones=PHONE, birthday="1960-01-01")
    son = fp(given_name="John", family_name="Hughes", addresses=[HOME], phones=PHONE, birthday="1990-02-02")
    assert not compare(father, son).listed


def test_a_given_name_replaced_with_birthday_address_and_phone_the_same_is_one_person():
    one = fp(given_name="Isla", family_name="Smith", birthday="1978-06-19", addresses=[HOME], phones=PHONE)
    other = fp(given_name="Grace", family_name="Smith", birthday="1978-06-19", addresses=[HOME], phones=PHONE)
    assert compare(one, other).likely


def test_a_name_alone_is_not_enough():
    assert not compare(fp(given_name="John", family_name="Smith"), fp(given_name="John", family_name="Smith")).listed


def test_numbered_addresses_of_one_name_are_different_people_not_typos():
    one = fp(given_name="Jane", family_name="Doe", emails=[{"address": "jane.doe71@example.com"}])
    two = fp(given_name="Jane", family_name="Doe", emails=[{"address": "jane.doe72@example.com"}])
    assert "similar_email" not in codes(one, two)


def test_every_reason_carries_its_weight_and_the_weights_add_up_to_the_score():
    one = fp(given_name="Ann", family_name="Lee", birthday="1990-01-01", addresses=[HOME], phones=PHONE)
    other = fp(
        given_name="Anne", family_name="Lee", birthday="1990-10-01", addresses=[HOME | {"lines": ["41 Elm Row"]}]
    )
    match = compare(one, other)
    assert [r.weight for r in match.reasons] == [WEIGHTS[r.code] for r in match.reasons]
    assert match.score == round(1 / (1 + math.exp(-(PRIOR + sum(r.weight for r in match.reasons)))), 3)


def test_blocking_files_a_record_under_its_name_variants_so_either_spelling_finds_the_other():
    robert, bob = fp(given_name="Robert", family_name="Smith"), fp(given_name="Bob", family_name="Smith")
    assert bob.probe_keys() & robert.blocking_keys()
    assert robert.probe_keys() & bob.blocking_keys()


def test_a_record_probes_a_subset_of_its_keys_and_is_filed_under_at_most_the_transaction_s_share():
    crowded = fp(
        given_name="Robert",
        family_name="Smith",
        birthday="1980-05-07",
        emails=[{"address": f"robert.smith{n}@example.com"} for n in range(10)],
        phones=[{"number": f"+4477009001{n:02d}"} for n in range(10)],
        addresses=[HOME | {"lines": [f"{n} Elm Row"]} for n in range(10)],
    )
    assert crowded.probe_keys() <= crowded.blocking_keys()
    assert len(crowded.blocking_keys()) <= MAX_BLOCKING_KEYS


def test_a_fingerprint_filed_before_addresses_kept_their_locality_is_read_and_compared():
    before = {
        "given": "ann",
        "family": "lee",
        "birthday": "",
        "emails": [],
        "phones": [],
        "addresses": ["GB|EH74AA|14 elm row"],
    }
    now = Fingerprint.from_dict(before)
    assert Fingerprint.from_dict(now.to_dict()) == now
    assert "same_address" in codes(now, fp(given_name="Ann", family_name="Lee", addresses=[HOME]))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_record_entered_again_with_one_corruption_is_found_and_paired_with_its_original(kind):
    """Complete records (names, birthday, email, phone, address), each with this one corruption: blocking
    finds the original, and the pair is a likely duplicate. Nicknames the nicknames library does not know
    (Liam for William) and a given name replaced outright are allowed a few misses."""
    pairs = one_of_each()[kind]
    assert pairs
    found = [
        bool(Fingerprint.of(again).probe_keys() & Fingerprint.of(original).blocking_keys())
        and compare(Fingerprint.of(again), Fingerprint.of(original)).likely
        for original, again in pairs
    ]
    assert sum(found) / len(found) >= (0.75 if kind in ("nickname", "name_replaced") else 0.97)


def test_on_a_generated_population_duplicates_are_found_precisely_at_create_time_and_listing():
    """600 people (some of them households), duplicates of a fifth, one to three corruptions each; each
    record checked against the records before it, through blocking, as creates see the base."""
    people = population(600, seed=23)
    created, listed = create_time(people), listing(people)
    assert created.f1 >= 0.9 and listed.f1 >= 0.9
    assert created.compared / len(people.records) < 10


def test_on_the_earlier_labelled_population_likely_duplicates_stay_precise_and_found():
    """cis_local.synthetic's population, a second yardstick the weights were not fitted on: 2,000 people,
    200 true duplicates with other variations, 200 look-alikes (relatives, namesakes, juniors). Its world
    is crowded: seven streets in six postcodes (some thirty people a street) and names from short lists, so
    a namesake on one's street, which the weights (u from random pairs of cis_local.linkage's people) take
    for rare, is commoner there than in the fitted population; precision is still held at 0.9."""
    people = synthetic_population(size=2000, duplicates=0.1, look_alikes=0.1, seed=7)
    quality = synthetic_measure(people, LIKELY)
    assert quality.true_pairs == 200
    assert quality.precision >= 0.9 and quality.recall >= 0.95
    assert quality.compared / len(people) < 20


def test_every_generated_record_is_a_valid_create_body():
    from cis.domain.customer import CustomerCreate

    for record in population(400, seed=29).records:
        CustomerCreate.model_validate(record.body)


def test_every_weighed_level_is_documented_where_the_api_points_for_its_meaning():
    import cis.domain.matching as matching

    assert not [code for code in WEIGHTS if code not in matching.__doc__]


def test_a_mailbox_user_made_of_the_name_tells_no_more_than_the_name():
    one = fp(given_name="Jane", family_name="Smith", emails=[{"address": "jane.smith@gmail.com"}])
    other = fp(given_name="Jane", family_name="Smith", emails=[{"address": "jane.smith@yahoo.com"}])
    assert codes(one, other) == {"same_name"}
    numbered = fp(given_name="Jane", family_name="Smith", emails=[{"address": "jane.smith1987@yahoo.com"}])
    assert "similar_email" in codes(
        numbered, fp(given_name="Jane", family_name="Smith", emails=[{"address": "jane.smith1987@outlook.com"}])
    )


def test_a_generated_household_gives_one_given_name_twice_at_most_for_one_junior():
    from collections import Counter

    from cis_local.linkage import people

    homes: dict[str, list[str]] = {}
    for record in people(3000, seed=31):
        for address in record.body.get("addresses") or []:
            key = f"{address['lines']}{address['postal_code']}{record.body.get('family_name')}"
            homes.setdefault(key, []).append(record.body.get("given_name"))
    assert all(max(Counter(names).values()) <= 2 for names in homes.values())


def test_one_given_name_under_two_family_names_at_one_home_is_a_changed_name_not_a_household():
    before = fp(given_name="Klaus", family_name="Feldmann", addresses=[HOME], phones=PHONE)
    after = fp(given_name="Klaus", family_name="Schwarz", addresses=[HOME], phones=PHONE)
    match = compare(before, after)
    assert match.likely and {"same_address", "same_phone_digits"} <= {r.code for r in match.reasons}


def test_a_namesake_at_home_with_a_mailbox_and_a_phone_of_his_own_and_no_birthday_is_a_household():
    father = fp(
        given_name="Jules",
        family_name="Robert",
        addresses=[HOME],
        emails=[{"address": "jules.robert@free.fr"}],
        phones=[{"number": "+447700900132"}],
        birthday="1970-03-13",
    )
    son = fp(
        given_name="Jules",
        family_name="Robert",
        addresses=[HOME],
        emails=[{"address": "jules.robert2@free.fr"}],
        phones=[{"number": "+447700900977"}],
    )
    assert "household_address" in codes(father, son)


def test_a_mailbox_made_of_the_other_record_s_name_links_a_changed_name():
    old = fp(given_name="Robert", family_name="Fordellton", phones=PHONE)
    new = fp(given_name="Christopher", family_name="Fordellton", emails=[{"address": "robert.fordellton@outlook.com"}])
    assert "mailbox_of_other_name" in codes(old, new)
    slip = fp(given_name="Willam", family_name="Taylor", emails=[{"address": "william.taylor@yahoo.com"}])
    assert "mailbox_of_other_name" not in codes(slip, fp(given_name="William", family_name="Taylor", phones=PHONE))


def test_an_uncommon_family_name_shared_weighs_more_than_a_common_one():
    common = codes(fp(given_name="John", family_name="Smith"), fp(given_name="John", family_name="Smith"))
    rare = codes(fp(given_name="John", family_name="Quillfeather"), fp(given_name="John", family_name="Quillfeather"))
    assert common == {"same_name"} and rare == {"same_rare_name"}
    assert WEIGHTS["same_rare_name"] > WEIGHTS["same_name"]


def test_the_name_table_is_the_nicknames_librarys():
    """cis.domain.matching reads the nicknames library's CSV file itself (NickNamer() costs a cold start
    an object per row): its table must be NickNamer's, both ways."""
    from cis.domain.matching import _nick_namer
    from nicknames import NickNamer

    namer, table = NickNamer(), _nick_namer()
    assert table._nicknames == namer.nickname_lookup
    assert table._canonicals == namer.canonical_lookup
    for name in ("Robert", " bob ", "NICK", "nicholas", "not a name", ""):
        assert table.nicknames_of(name) == namer.nicknames_of(name)
        assert table.canonicals_of(name) == namer.canonicals_of(name)
