"""A customer's confirmed sign-up, linked to their customer record.

To an existing record only through a contact the customer pool has verified (the person proved they
receive mail or texts there) and that record holds; otherwise a new record is made of the verified
contacts, its likely duplicates listed for staff to review rather than refusing the sign-up. Nothing a
client sends decides the link: only the pool's verified attributes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cis.domain.customer import CustomerCreate, CustomerStatus
from cis.domain.keys import key_from_query
from cis.errors import InvalidRequest
from cis.repository.logins import LoginRepository
from cis.service.customers import CustomerService


class SignUps:
    def __init__(self, logins: LoginRepository, customers: CustomerService, clock: Callable[[], datetime]):
        self.logins, self.customers, self.clock = logins, customers, clock

    def confirmed(self, subject: str, attributes: dict[str, str]) -> str:
        """The customer id the sign-in is linked to (the same on a repeated trigger)."""
        linked = self.logins.customer_of(subject)
        if linked is not None:
            return linked
        verified = _verified(attributes)
        for kind, value in verified.items():
            customer = self.customers.find(_key(kind, value))
            active = customer is not None and customer.status == CustomerStatus.ACTIVE
            if active and self.logins.link(subject, customer.id, f"verified_{kind}", self.clock()):
                return customer.id
        return self._new_record(subject, verified, attributes)

    def _new_record(self, subject: str, verified: dict[str, str], attributes: dict[str, str]) -> str:
        if not verified:
            raise InvalidRequest("a sign-up needs a verified email address or phone number")
        record = {
            "emails": [{"address": verified["email"], "primary": True}] if "email" in verified else [],
            "phones": [{"number": verified["phone"], "primary": True}] if "phone" in verified else [],
        }
        names = {name: attributes[name] for name in ("given_name", "family_name") if attributes.get(name)}
        try:
            data = CustomerCreate.model_validate(record | names)
        except ValueError:  # a name the record's rules refuse: the customer can set it in the app later
            data = CustomerCreate.model_validate(record)
        customer, _ = self.customers.created(data, f"customer:{subject}", "review")
        if not self.logins.link(subject, customer.id, "new_record", self.clock()):
            return self.logins.customer_of(subject) or customer.id  # a repeated trigger linked it meanwhile
        return customer.id


def _verified(attributes: dict[str, str]) -> dict[str, str]:
    """The contacts the pool verified, as Cognito names them (email / phone_number and *_verified)."""
    found = {}
    if attributes.get("email") and str(attributes.get("email_verified")).lower() == "true":
        found["email"] = attributes["email"]
    if attributes.get("phone_number") and str(attributes.get("phone_number_verified")).lower() == "true":
        found["phone"] = attributes["phone_number"]
    return found


def _key(kind: str, value: str):
    return (
        key_from_query(email=value, phone=None, external_id=None)
        if kind == "email"
        else (key_from_query(email=None, phone=value, external_id=None))
    )
