"""Duplicate scoring: which evidence counts, and how well it does on a labelled population."""

import pytest
from cis.domain.matching import LIKELY, Fingerprint, compare, mailbox
from cis_local.synthetic import measure, population


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


def test_the_same_number_typed_under_another_country_counts_as_the_same_phone():
    one = fp(display_name="A Person", phones=[{"number": "+14155550132"}])
    other = fp(display_name="A Person", phones=[{"number": "+444155550132"}])
    assert "same_phone_digits" in codes(one, other)


def test_family_members_sharing_surname_address_and_phone_are_not_duplicates():
    home = {"lines": ["14 Elm Row"], "postal_code": "EH7 4AA", "country": "GB"}
    phone = [{"number": "+14155550132"}]
    mother = fp(given_name="Mary", family_name="Hughes", addresses=[home], phones=phone, birthday="1960-01-01")
    son = fp(given_name="Thomas", family_name="Hughes", addresses=[home], phones=phone, birthday="1990-02-02")
    assert compare(mother, son).score < 0.2


def test_a_father_and_son_with_one_name_at_one_address_are_told_apart_by_birthday():
    home = {"lines": ["14 Elm Row"], "postal_code": "EH7 4AA", "country": "GB"}
    father = fp(given_name="John", family_name="Hughes", addresses=[home], birthday="1960-01-01")
    son = fp(given_name="John", family_name="Hughes", addresses=[home], birthday="1990-02-02")
    assert not compare(father, son).listed


def test_a_name_alone_is_not_enough():
    assert not compare(fp(given_name="John", family_name="Smith"), fp(given_name="John", family_name="Smith")).listed


def test_numbered_addresses_of_one_name_are_different_people_not_typos():
    one = fp(given_name="Jane", family_name="Doe", emails=[{"address": "jane.doe71@example.com"}])
    two = fp(given_name="Jane", family_name="Doe", emails=[{"address": "jane.doe72@example.com"}])
    assert "similar_email" not in codes(one, two)


def test_every_reason_carries_its_weight_so_the_score_can_be_explained():
    match = compare(
        fp(given_name="Ann", family_name="Lee", birthday="1990-01-01"), fp(given_name="Ann", family_name="Lee")
    )
    assert [(r.code, r.weight) for r in match.reasons] == [("same_name", 3.0)] and match.score == 0.5


def test_blocking_files_a_record_under_its_name_variants_so_either_spelling_finds_the_other():
    robert, bob = fp(given_name="Robert", family_name="Smith"), fp(given_name="Bob", family_name="Smith")
    assert bob.probe_keys() & robert.blocking_keys()
    assert robert.probe_keys() & bob.blocking_keys()


def test_on_a_labelled_population_likely_duplicates_are_precise_and_found():
    """2,000 people, 200 true duplicates with the usual variations, 200 look-alikes (family, namesakes,
    juniors). Blocking lets through a handful of comparisons per record, never the whole base."""
    people = population(size=2000, duplicates=0.1, look_alikes=0.1, seed=7)
    quality = measure(people, LIKELY)
    assert quality.true_pairs == 200
    assert quality.precision >= 0.85 and quality.recall >= 0.95
    assert quality.compared / len(people) < 10
