"""Which values of a customer must be unique across all customers."""

from __future__ import annotations

from dataclasses import dataclass

from cis.domain.contact import email_lookup_key, normalize_email, normalize_phone
from cis.domain.customer import CustomerFields
from cis.errors import FieldProblem, InvalidRequest


@dataclass(frozen=True)
class UniqueKey:
    kind: str  # email | phone | external_id
    value: str  # normalized: what two customers must not share
    path: str  # where it sits in the request body, for error messages

    @property
    def label(self) -> str:
        return {"email": "Email address", "phone": "Phone number", "external_id": "External id"}[self.kind]


def unique_keys(customer: CustomerFields) -> list[UniqueKey]:
    keys = [
        UniqueKey("email", email_lookup_key(item.address), f"emails[{index}].address")
        for index, item in enumerate(customer.emails)
    ]
    keys += [UniqueKey("phone", item.number, f"phones[{index}].number") for index, item in enumerate(customer.phones)]
    keys += [
        UniqueKey("external_id", f"{system}:{value}", f"external_ids.{system}")
        for system, value in customer.external_ids.items()
    ]
    return keys


def key_from_query(email: str | None, phone: str | None, external_id: str | None) -> UniqueKey | None:
    """The unique key a lookup query names (at most one of them), normalized like stored keys."""
    given = {name: value for name, value in (("email", email), ("phone", phone), ("external_id", external_id)) if value}
    if not given:
        return None
    if len(given) > 1:
        raise InvalidRequest(
            "look up by one of email, phone or external_id at a time",
            [FieldProblem(name, "only one lookup at a time") for name in given],
        )
    ((name, value),) = given.items()
    try:
        if name == "email":
            return UniqueKey("email", email_lookup_key(normalize_email(value)), name)
        if name == "phone":
            return UniqueKey("phone", normalize_phone(value), name)
        system, _, ident = value.partition(":")
        if not system or not ident:
            raise ValueError("use system:id, such as billing:C-1042")
        return UniqueKey("external_id", f"{system}:{ident.strip()}", name)
    except ValueError as error:
        raise InvalidRequest(f"{name}: {error}", [FieldProblem(name, str(error))]) from error
