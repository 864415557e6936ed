"""Contact points: email addresses, phone numbers and postal addresses, normalized on input."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator

from cis.config import settings
from cis.domain.model import Model, read_back

# email-validator and phonenumbers are imported by the validators that use them: a cold start on a
# route that validates no contact data from a client (reading a customer, recording a consent) does
# not load them.


class Strict(Model):
    """Base of every input model: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# The addresses nearly every client sends: an ASCII dot-atom mailbox at an ASCII host name. Importing
# email-validator compiles patterns over all of Unicode (about 35 ms, most of an import worker's first
# part), so these are checked here by its rules, with its result (tests/unit/test_email_fast_path.py
# holds the two to the same answers); anything else, valid or not, goes to email-validator.
_ATOM = r"[A-Za-z0-9_!#$%&'*+\-/=?^`{|}~]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+{_LABEL})"  # compiled at the first address
# email-validator's lists (email_validator.SPECIAL_USE_DOMAIN_NAMES, .rfc_constants.CASE_INSENSITIVE_MAILBOX_NAMES).
_SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
_CASE_INSENSITIVE_MAILBOXES = frozenset(
    {"info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster", "hostmaster", "usenet"}
    | {"news", "webmaster", "www", "uucp", "ftp"}
)


def _plain_address(value: str) -> str | None:
    """email-validator's normalized form of a plain address (host name lowercased, a role mailbox such
    as info@ too), or None when the address is not plain: email-validator decides those."""
    found = re.fullmatch(_PLAIN_ADDRESS, value)
    if found is None or len(value) > 254:
        return None
    mailbox, domain = found.group(1), found.group(2).lower()
    # Reserved "ab--" labels and Punycode ("xn--"), TLDs that end in a digit, special-use names: its call.
    if len(domain) > 253 or "--" in domain or not domain[-1].isalpha():
        return None
    if any(domain == name or domain.endswith(f".{name}") for name in _SPECIAL_USE_DOMAINS):
        return None
    if mailbox.lower() in _CASE_INSENSITIVE_MAILBOXES:
        mailbox = mailbox.lower()
    return f"{mailbox}@{domain}"


def normalize_email(value: str) -> str:
    if (plain := _plain_address(value)) is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email

    try:
        # No DNS lookups: deliverability is a sending concern, not a record-keeping one.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from error


def email_lookup_key(address: str) -> str:
    """Mailbox identity for uniqueness: mail providers treat addresses case-insensitively."""
    return address.casefold()


def normalize_phone(value: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(value, settings.default_phone_region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"not a phone number ({error._msg})") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            "not a valid phone number; use international format such as +44 20 7946 0958, "
            f"or a national number in region {settings.default_phone_region}"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def check_country(value: str) -> str:
    import phonenumbers

    code = value.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError("not an ISO 3166-1 alpha-2 country code, such as DE or US")
    return code


def _email(value: str, info: ValidationInfo) -> str:
    return value if read_back(info) else normalize_email(value)


def _phone(value: str, info: ValidationInfo) -> str:
    return value if read_back(info) else normalize_phone(value)


def _country(value: str, info: ValidationInfo) -> str:
    return value if read_back(info) else check_country(value)


# Normalized as they come in; read back from the table, as they were stored (cis.domain.model.STORED).
Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]
Phone = Annotated[str, Field(min_length=3, max_length=32), AfterValidator(_phone)]
Country = Annotated[str, Field(min_length=2, max_length=2), AfterValidator(_country)]


class ContactLabel(StrEnum):
    """What an email address, phone number or postal address is for."""

    HOME = "home"
    WORK = "work"
    BILLING = "billing"
    SHIPPING = "shipping"
    MOBILE = "mobile"
    OTHER = "other"


class EmailAddress(Strict):
    address: Email
    primary: bool = False
    label: ContactLabel | None = None


class PhoneNumber(Strict):
    number: Phone = Field(description="Any common notation; stored in E.164, e.g. +14155550123")
    primary: bool = False
    label: ContactLabel | None = None


class PostalAddress(Strict):
    lines: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=4)
    locality: str | None = Field(default=None, max_length=100, description="City or town")
    region: str | None = Field(default=None, max_length=100, description="State, province or county")
    postal_code: str | None = Field(default=None, max_length=20)
    country: Country
    label: ContactLabel | None = None

    @field_validator("postal_code")
    @classmethod
    def _upper_postal_code(cls, value: str | None) -> str | None:
        return value.upper() if value else value


def one_primary(items: list, what: str) -> list:
    """At most one primary; when none is marked, the first one is primary."""
    primaries = [item for item in items if item.primary]
    if len(primaries) > 1:
        raise ValueError(f"only one {what} can be primary, {len(primaries)} are marked primary")
    if items and not primaries:
        items[0].primary = True
    return items
