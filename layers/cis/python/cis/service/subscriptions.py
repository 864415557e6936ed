"""Subscription use cases: start one, change it, renew it, read them. Knows no HTTP or DynamoDB."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from ulid import ULID

from cis.domain.moments import utcnow
from cis.domain.problems import field_problems
from cis.domain.subscriptions import (
    Renewal,
    Subscription,
    SubscriptionFields,
    SubscriptionPatch,
    lead_days_for,
    reminders_due,
    renewed,
)
from cis.errors import Conflict, FieldProblem, PreconditionFailed, Unprocessable
from cis.repository.retries import jittered_pause, read_modify_write


class Repository(Protocol):
    def get(self, customer_id: str, subscription_id: str) -> Subscription: ...
    def save(self, subscription: Subscription, previous: Subscription | None) -> None: ...


class SubscriptionService:
    def __init__(
        self,
        repository: Repository,
        lead_times: dict[str, tuple[int, ...]],
        business_zone: str = "UTC",
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] = lambda: str(ULID()),
        pause: Callable[[int], None] = jittered_pause,
    ):
        self.repository, self.lead_times, self.clock, self.new_id, self.pause = (
            repository,
            lead_times,
            clock,
            new_id,
            pause,
        )
        self.zone = ZoneInfo(business_zone)

    def _today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    def _with_reminders(self, subscription: Subscription) -> Subscription:
        lead_days = lead_days_for(subscription.plan, self.lead_times)
        return subscription.model_copy(update={"reminders": reminders_due(subscription, lead_days, self._today())})

    def start(self, customer_id: str, fields: SubscriptionFields, actor: str) -> Subscription:
        now = self.clock()
        subscription = Subscription(
            **fields.model_dump(exclude={"started_at"}),
            started_at=fields.started_at or now,
            id=self.new_id(),
            customer_id=customer_id,
            version=1,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        subscription = self._with_reminders(subscription)
        self.repository.save(subscription, None)
        return subscription

    def get(self, customer_id: str, subscription_id: str) -> Subscription:
        return self.repository.get(customer_id, subscription_id)

    def update(
        self, customer_id: str, subscription_id: str, patch: SubscriptionPatch, actor: str, expected: int | None
    ) -> Subscription:
        return self._read_modify_write(customer_id, subscription_id, patch.apply_to, actor, expected)

    def renew(
        self, customer_id: str, subscription_id: str, request: Renewal, actor: str, expected: int | None = None
    ) -> Subscription:
        """A renewal that happened: the next renewal day moves on (an expired one is active again)."""

        def change(current: Subscription) -> SubscriptionFields:
            if request.expected_renews_at is not None and current.renews_at != request.expected_renews_at:
                raise PreconditionFailed(
                    f"subscription {subscription_id} renews on {current.renews_at}, not "
                    f"{request.expected_renews_at}: it was renewed already; read it again before renewing",
                    current_version=current.version,
                )
            try:
                following = renewed(current, request)
            except ValueError as error:
                raise Conflict(str(error), [FieldProblem("renews_at", str(error))], code="not_renewable") from None
            return SubscriptionFields.model_validate(
                current.model_dump(include=set(SubscriptionFields.model_fields))
                | {"renews_at": following, "status": "active"}
            )

        return self._read_modify_write(customer_id, subscription_id, change, actor, expected)

    def _read_modify_write(
        self,
        customer_id: str,
        subscription_id: str,
        change: Callable[[Subscription], SubscriptionFields],
        actor: str,
        expected: int | None,
    ) -> Subscription:
        def modify(current: Subscription) -> Subscription:
            try:
                fields = change(current)
            except ValidationError as error:
                raise Unprocessable(field_problems(error.errors())) from None
            updated = current.model_copy(
                update=fields.model_dump(exclude={"started_at"})
                | {"version": current.version + 1, "updated_at": self.clock(), "updated_by": actor}
            )
            return self._with_reminders(updated)

        return read_modify_write(
            f"subscription {subscription_id}",
            lambda: self.repository.get(customer_id, subscription_id),
            modify,
            self.repository.save,
            expected,
            self.pause,
        )
