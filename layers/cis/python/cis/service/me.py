"""The signed-in customer's side: every use case bound, by construction, to the caller's own record.

`SelfService.signed_in(principal)` resolves the sign-in to its linked customer (the server's link,
never an id from the request) and returns a `Me`, whose methods take no customer id at all: a
handler cannot name anyone else's record, so it cannot reach one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cis.domain.consent import ConsentIn
from cis.domain.customer import Customer
from cis.domain.devices import MAX_DEVICES, Device, DeviceIn, RegisteredDevice
from cis.domain.devices import device_id as device_id_of
from cis.domain.export import CustomerExport
from cis.domain.me import (
    CODE_TTL_MINUTES,
    MAX_CODE_ATTEMPTS,
    CodeSent,
    ContactCheck,
    ErasureRequested,
    FeedbackThanks,
    MyConsent,
    MyFeedback,
    MyMessage,
    MyOrder,
    MyOrderPage,
    MyProfilePatch,
    MySubscription,
    MySubscriptions,
    MyTicket,
    MyTicketIn,
    MyTicketPage,
    NewContact,
    Preferences,
    code_digest,
    contact_digest,
    new_code,
    order_of,
    preferences_of,
    subscription_of,
    ticket_of,
)
from cis.domain.retention import configured
from cis.domain.texts import TicketMessage
from cis.errors import (
    CisError,
    Conflict,
    FieldProblem,
    InvalidRequest,
    Merged,
    NotFound,
    NotLinked,
    Unprocessable,
    concurrent_update,
)
from cis.repository.devices import DeviceRepository
from cis.repository.logins import LoginRepository
from cis.repository.push import PushEndpoints
from cis.repository.retries import jittered_pause, retry_on_conflict
from cis.repository.verifications import VerificationRepository
from cis.service.consents import ConsentService
from cis.service.customers import CustomerService
from cis.service.export import ExportService
from cis.service.subscriptions import SubscriptionService

if TYPE_CHECKING:
    from cis.api.auth import Principal
    from cis.service.timeline import TimelineService

SOURCE = "self_service"  # how a customer's own changes are recorded (consent source, audit)
MERGE_HOPS = 5  # a sign-in linked to a customer merged into another, merged again...


class SelfService:
    def __init__(
        self,
        logins: LoginRepository,
        customers: CustomerService,
        timeline: Callable[[], TimelineService],
        consents: ConsentService,
        subscriptions: SubscriptionService,
        exports: ExportService,
        devices: DeviceRepository,
        push: PushEndpoints,
        verifications: VerificationRepository,
        senders: Callable[[], dict],
        clock: Callable[[], datetime],
    ):
        self.logins, self.customers, self._timeline = logins, customers, timeline
        self.consents, self.subscriptions, self.exports, self.clock = consents, subscriptions, exports, clock
        self.devices, self.push = devices, push
        self.verifications, self.senders = verifications, senders  # senders: made at the first code sent

    @functools.cached_property
    def timeline(self) -> TimelineService:
        """Made at the first request that reads or writes the timeline: its entry models are most of
        what a cold start of the profile routes would otherwise load."""
        return self._timeline()

    def signed_in(self, caller: Principal) -> Me:
        """The caller's own side; 403 not_linked for a sign-in linked to nobody."""
        if not caller.customer:
            raise NotLinked()  # the gate lets only customer tokens here: this is the second lock
        customer_id = self.logins.customer_of(caller.subject)
        if customer_id is None:
            raise NotLinked()
        return Me(self, self._current(customer_id), caller.actor)

    def _current(self, customer_id: str) -> Customer:
        """The linked customer, or the one it was merged into: the person is the same."""
        for _ in range(MERGE_HOPS):
            try:
                return self.customers.get(customer_id)
            except Merged as merged:
                customer_id = merged.survivor_id
            except NotFound:
                raise NotLinked() from None
        raise NotLinked()


class Me:
    """One customer's own record, for one request."""

    def __init__(self, service: SelfService, customer: Customer, actor: str):
        self._service, self.customer, self._actor = service, customer, actor
        self._id = customer.id

    def update(self, patch: MyProfilePatch, expected_version: int | None) -> Customer:
        from cis.domain.customer import CustomerPatch

        try:
            changes = CustomerPatch.model_validate(patch.changes())
        except ValueError as error:
            raise _empty(str(error)) from None
        return self._service.customers.update(self._id, changes, self._actor, expected_version)

    def orders(self, limit: int, cursor: str | None) -> MyOrderPage:
        page = self._service.timeline.repository.page(self._id, "order", limit, cursor)
        items = [order_of(entry) for entry in page.items] if page else []
        return MyOrderPage(items=items, next_cursor=page.next_cursor if page else None)

    def order(self, order_id: str) -> MyOrder:
        entry = self._service.timeline.repository.get(self._id, order_id)
        if entry is None or entry.get("type") != "order":
            raise NotFound("you have no order with this id")  # the id is not echoed: it may be someone else's
        return order_of(entry)

    def open_ticket(self, asked: MyTicketIn) -> MyTicket:
        from cis.domain.interactions import Ticket  # the staff side's models: loaded by the routes that write

        ticket = Ticket(type="ticket", **asked.model_dump(exclude_none=True))
        return ticket_of(self._service.timeline.record(self._id, ticket, self._actor).model_dump(mode="json"))

    def tickets(self, limit: int, cursor: str | None) -> MyTicketPage:
        page = self._service.timeline.repository.page(self._id, "ticket", limit, cursor)
        items = [ticket_of(entry) for entry in page.items] if page else []
        return MyTicketPage(items=items, next_cursor=page.next_cursor if page else None)

    def ticket(self, ticket_id: str) -> MyTicket:
        try:
            return ticket_of(*self._service.timeline.thread(self._id, ticket_id))
        except NotFound:
            raise NotFound("you have no ticket with this id") from None  # the id is not echoed

    def write(self, ticket_id: str, message: TicketMessage) -> MyMessage:
        try:
            entry = self._service.timeline.add_message(self._id, ticket_id, message, "customer", self._actor)
        except NotFound:
            raise NotFound("you have no ticket with this id") from None
        except CisError as error:
            if error.code == "not_a_ticket":  # one of their own other entries: say no more than for anyone's
                raise NotFound("you have no ticket with this id") from None
            raise
        return MyMessage(id=entry.id, author="customer", text=message.text, sent_at=entry.occurred_at)

    def feedback(self, given: MyFeedback) -> FeedbackThanks:
        from cis.domain.interactions import Feedback

        feedback = Feedback(type="feedback", source="customer app", **given.model_dump(exclude_none=True))
        entry = self._service.timeline.record(self._id, feedback, self._actor)
        return FeedbackThanks(id=entry.id, received_at=entry.recorded_at)

    def register_device(self, device: DeviceIn) -> RegisteredDevice:
        """The install's push endpoint, on this customer's profile; taken from whoever had it before
        (someone else signed in on the same phone earlier). Registering again changes nothing."""
        service, device_id = self._service, device_id_of(device.platform, device.token)
        endpoint = service.push.endpoint(device.platform, device.token)
        now = service.clock()
        kept = Device(platform=device.platform, endpoint=endpoint, registered_at=now, app_version=device.app_version)

        def attempt() -> None:
            current = service.customers.get(self._id)
            claimed = service.devices.claim(device_id)
            stored = kept.model_dump(mode="json", exclude_none=True)
            has_map = current.devices is not None
            service.devices.register(self._id, device_id, stored, has_map, claimed, MAX_DEVICES)

        retry_on_conflict(attempt, jittered_pause, lambda: concurrent_update("this device"))
        return RegisteredDevice(id=device_id, platform=device.platform, registered_at=now)

    def remove_device(self, device_id: str) -> None:
        """Signed out on that install: no more notifications to it, its endpoint deleted."""
        endpoint = self._service.devices.remove(self._id, device_id)
        self._service.push.delete(endpoint)

    def send_code(self, contact: NewContact) -> CodeSent:
        """A code to the new contact, to prove it is the customer's before it is on their record."""
        # The model has normalized the value as the record keeps it (address, or E.164 number).
        if contact.value in _held(self.customer, contact.kind):
            raise Conflict(f"this {contact.kind} is already on your profile", code="already_yours")
        service, code, now = self._service, new_code(), self._service.clock()
        expires = now + timedelta(minutes=CODE_TTL_MINUTES)
        value = contact.value
        kept = code_digest(self._id, contact.kind, value, code)
        service.verifications.put(self._id, contact.kind, contact_digest(contact.kind, value), kept, expires)
        channel = "email" if contact.kind == "email" else "sms"
        service.senders()[channel].send(value, code_message(code, CODE_TTL_MINUTES))
        return CodeSent(channel=channel, expires_at=expires)

    def verify_contact(self, check: ContactCheck) -> Customer:
        """The contact, proven, becomes the customer's primary one of its kind (the previous primary
        stays with keep_previous, else goes)."""
        service, kind, value = self._service, check.kind, check.value
        pending = service.verifications.get(self._id, kind)
        now = service.clock()
        fresh = pending is not None and pending["expires_at"] > now.timestamp()
        if not fresh or pending["contact"] != contact_digest(kind, value):
            raise _wrong_code("no code is waiting for this contact: ask for one (POST /v1/me/contacts)")
        if pending["code"] != code_digest(self._id, kind, value, check.code):
            if service.verifications.failed_attempt(self._id, kind, MAX_CODE_ATTEMPTS):
                raise _wrong_code("the code is not the one we sent: check it and try again")
            raise _wrong_code("too many wrong codes: ask for a new one (POST /v1/me/contacts)")
        service.verifications.drop(self._id, kind)
        return self._add_contact(kind, value, check.keep_previous)

    def _add_contact(self, kind: str, value: str, keep_previous: bool) -> Customer:
        from cis.domain.customer import CustomerPatch

        field, entry = ("emails", {"address": value}) if kind == "email" else ("phones", {"number": value})
        current = self.customer.model_dump(mode="json")[field] or []
        others = [item | {"primary": False} for item in current if keep_previous or not item.get("primary")]
        if not keep_previous and current and not any(item.get("primary") for item in current):
            others = others[1:]  # no primary marked: the first one was it
        patch = CustomerPatch.model_validate({field: [entry | {"primary": True}, *others]})
        try:
            return self._service.customers.update(self._id, patch, self._actor, None)
        except Conflict as conflict:
            if conflict.code == "duplicate":  # names the customer holding it: someone else's business
                raise Conflict(
                    f"this {kind} is on another customer record: contact support to bring them together",
                    [FieldProblem(kind, "on another customer record")],
                    code="contact_taken",
                ) from None
            raise

    def preferences(self) -> Preferences:
        return preferences_of(self.customer.consents or {}, self._service.clock())

    def set_consent(self, channel: str, purpose: str, choice: MyConsent) -> Preferences:
        """The customer's own capture: evidence is their signed-in choice, so a withdrawal they made
        before can be lifted by them (and only by them, or with their signed consent)."""
        body = ConsentIn(
            status=choice.status,
            source=SOURCE,
            evidence="the customer's own choice in the preference centre, signed in to the customer app",
        )
        self._service.consents.record(self._id, channel, purpose, body, self._actor)
        self.customer = self._service.customers.get(self._id)  # the profile keeps the states in force
        return self.preferences()

    def subscriptions(self) -> MySubscriptions:
        kept = self.customer.subscriptions or {}
        return MySubscriptions(items=[subscription_of(s) for _, s in sorted(kept.items())])

    def change_subscription(self, subscription_id: str, change, expected_version: int | None) -> MySubscription:
        from cis.domain.subscriptions import SubscriptionPatch

        try:
            patch = SubscriptionPatch.model_validate(change.changes())
        except ValueError as error:
            raise _empty(str(error)) from None
        try:
            updated = self._service.subscriptions.update(
                self._id, subscription_id, patch, self._actor, expected_version
            )
        except NotFound:
            raise NotFound("you have no subscription with this id") from None  # nor whose it is, if anyone's
        return subscription_of(updated)

    def export(self) -> CustomerExport:
        return self._service.exports.export(self._id, self._actor).for_the_customer()

    def request_erasure(self, reason: str | None) -> ErasureRequested:
        """A privacy ticket for support to see (and act on, should the request come from a taken-over
        account: restoring the customer stops it), then archived now (no more writes, off every list),
        erased by the retention job after the grace period."""
        from cis.domain.interactions import Ticket

        days = configured().erasure_request_days
        asked = Ticket(
            type="ticket",
            subject="Please erase my personal data",
            body=reason or "No reason given.",
            category="privacy",
            status="solved",  # nothing for support to do unless it must be stopped
        )
        self._service.timeline.record(self._id, asked, self._actor)
        self._service.customers.archive(self._id, self._actor, None, erase_in_days=days)
        now = self._service.clock()
        return ErasureRequested(requested_at=now, erase_on=(now + timedelta(days=days)).date())


def _empty(message: str) -> CisError:
    return InvalidRequest(message, [FieldProblem("body", message)])


def _wrong_code(message: str) -> CisError:
    return Unprocessable([FieldProblem("code", message)])


def _held(customer: Customer, kind: str) -> set[str]:
    if kind == "email":
        return {entry.address for entry in customer.emails}
    return {entry.number for entry in customer.phones}


def code_message(code: str, minutes: int):
    """The text sent with a code; the notifier's Message type, loaded with the first code sent (it brings
    the message templates' babel with it)."""
    from cis.domain.notifications import Message

    text = f"Your code to add this contact to your profile is {code}. It works for {minutes} minutes. "
    text += "If you did not ask for it, ignore this message."
    return Message("Your verification code", text, "en")
