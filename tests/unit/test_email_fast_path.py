"""cis.domain.contact checks plain addresses itself (email-validator's import costs a cold start
about 35 ms): whatever it answers must be what email-validator answers, and it must leave every
address it is not sure of to email-validator."""

import random
import string

import email_validator
import pytest
from cis.domain import contact
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES


def library(address: str) -> str | None:
    """email-validator's answer, as cis.domain.contact asks it: the normalized form, or None if invalid."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


EDGES = [
    "ada@example.com",
    "Ada.Lovelace@Example.COM",
    "ada.lovelace+news@gmail.com",
    "o'brien@example.ie",
    "a!#$%&'*+-/=?^_`{|}~z@example.com",
    "INFO@example.com",
    "Support@Example.com",
    "postmaster@example.org",
    "infos@example.com",
    "a@b.co",
    "a@b.c",
    "a@b.c1",
    "a@123.com",
    "a@1.2.3.4",
    "a@example",
    "a@localhost",
    "a@example.test",
    "a@test",
    "a@host.local",
    "a@x.onion",
    "a@in-addr.arpa",
    "a@x.invalid",
    "a@example.testing",
    "a@mytest.com",
    "a@xn--bcher-kva.example",
    "a@ab--cd.example",
    "a@a-b.example",
    "a@-ab.example",
    "a@ab-.example",
    "a@a..b.com",
    "a@.example.com",
    "a@example.com.",
    ".a@example.com",
    "a.@example.com",
    "a..b@example.com",
    "a@b@example.com",
    '"a b"@example.com',
    "Ada <ada@example.com>",
    "a b@example.com",
    " ada@example.com",
    "ada@example.com ",
    "ada@exa_mple.com",
    "ådå@example.com",
    "ada@exämple.com",
    "ada@EXÄMPLE.com",
    "ada@",
    "@example.com",
    "ada",
    "",
    "a@" + "b" * 63 + ".com",
    "a@" + "b" * 64 + ".com",
    "a" * 64 + "@example.com",
    "a" * 65 + "@example.com",
    "a@" + ".".join(["b" * 63] * 3) + "." + "c" * 61,  # 253 long
    "a@" + ".".join(["b" * 63] * 3) + "." + "c" * 62,  # 254 long
    "a" * 60 + "@" + ".".join(["b" * 63] * 3) + ".cc",  # the address 254 long
    "a" * 61 + "@" + ".".join(["b" * 63] * 3) + ".cc",  # 255
]


@pytest.mark.parametrize("address", EDGES)
def test_an_address_it_answers_gets_email_validators_answer(address):
    mine = contact._plain_address(address)
    if mine is not None:
        assert mine == library(address)


def test_random_addresses_get_email_validators_answer():
    pick = random.Random(16)
    atext = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
    host = string.ascii_letters + string.digits + "-"
    noise = '.@-_ "<>[]()\\,;:' + "åéüß"

    def part(alphabet: str, dots: bool) -> str:
        text = "".join(pick.choice(alphabet + ("." if dots else "")) for _ in range(pick.randint(0, 12)))
        if pick.random() < 0.1:
            at = pick.randint(0, len(text))
            text = text[:at] + pick.choice(noise) + text[at:]
        return text

    answered = 0
    for _ in range(20000):
        labels = [part(host, False) for _ in range(pick.randint(1, 4))]
        if pick.random() < 0.3:
            labels[-1] = pick.choice(["com", "de", "IO", "local", "test", "arpa", "c0m", "x"])
        address = f"{part(atext, True)}@{'.'.join(labels)}"
        mine = contact._plain_address(address)
        if mine is not None:
            answered += 1
            assert mine == library(address), address
    assert answered > 1000  # the generator makes plain addresses too, not only ones left to the library


def test_the_copied_lists_are_email_validators():
    assert set(contact._SPECIAL_USE_DOMAINS) == set(email_validator.SPECIAL_USE_DOMAIN_NAMES)
    assert set(CASE_INSENSITIVE_MAILBOX_NAMES) == contact._CASE_INSENSITIVE_MAILBOXES


@pytest.mark.parametrize(
    ("address", "normalized"),
    [("Ada.Lovelace@Example.COM", "Ada.Lovelace@example.com"), ("INFO@example.com", "info@example.com")],
)
def test_normalize_email_answers_plain_addresses_without_loading_email_validator(address, normalized):
    assert contact.normalize_email(address) == normalized
    assert library(address) == normalized


@pytest.mark.parametrize("address", ["ada@exämple.com", "ådå@example.com", "a@xn--bcher-kva.example"])
def test_an_address_left_to_email_validator_is_normalized_by_it(address):
    assert contact.normalize_email(address) == library(address)


@pytest.mark.parametrize("address", ["a@localhost", "a@example.test", "a..b@example.com", "a@ab--cd.example"])
def test_an_invalid_address_gets_email_validators_message(address):
    with pytest.raises(ValueError) as mine:
        contact.normalize_email(address)
    with pytest.raises(EmailNotValidError) as theirs:
        validate_email(address, check_deliverability=False)
    assert str(mine.value) == str(theirs.value)
