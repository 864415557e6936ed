"""Timeline entries as the API shows them: one typed model per entry type, told apart by `type`.

Each interaction's entry is derived from its request model, so a field added to an order is shown
with no second declaration. Every shown field is optional: a role may not see it (`redacted`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

from cis.domain.consent import Channel, ConsentStatus, LegalBasis, Purpose
from cis.domain.customer import Customer
from cis.domain.interactions import Activity, Feedback, Note, Order, Ticket, TicketStatus
from cis.domain.model import Model
from cis.domain.visibility import RESTRICTED


class EntryBase(Model):
    """What every entry has: who recorded what happened when. Entries may carry more (a merge's
    `merged_from`, a notification's template fields)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(description="ULID whose time part is occurred_at: the timeline's order")
    customer_id: str
    occurred_at: datetime
    recorded_at: datetime
    recorded_by: str
    redacted: list[str] | None = Field(default=None, description="Fields your role may not see: shown as null")
    merged_from: str | None = Field(default=None, description="The merged customer this entry came from")


class TicketStatusStep(Model):
    to: TicketStatus
    at: datetime
    by: str
    from_: TicketStatus | None = Field(default=None, alias="from")


def _shown(request: type[BaseModel], **extra: Any) -> type[EntryBase]:
    """The entry model of an interaction: its request's fields, as stored. A field a role may not
    see (visibility.RESTRICTED), or that a request may leave out, is optional; the rest required."""
    kind = request.model_fields["type"].annotation
    (name,) = get_args(kind)
    fields: dict[str, Any] = {}
    for field_name, field in request.model_fields.items():
        if field_name in ("type", "occurred_at"):
            continue
        always = field.is_required() or field.default is not None
        if always and (name, field_name) not in RESTRICTED:
            fields[field_name] = (field.annotation, Field(description=field.description))
        else:
            fields[field_name] = (field.annotation | None, Field(default=None, description=field.description))
    return create_model(
        f"{request.__name__}Entry",
        __base__=EntryBase,
        __doc__=f"A recorded {request.__name__.lower()} on the timeline.",
        type=(kind, ...),
        **fields,
        **extra,
    )


OrderEntry = _shown(Order)
TicketEntry = _shown(
    Ticket,
    status_history=(list[TicketStatusStep] | None, None),
    updated_at=(datetime | None, None),
    updated_by=(str | None, None),
)
FeedbackEntry = _shown(Feedback)
NoteEntry = _shown(Note)
ActivityEntry = _shown(Activity)


class ConsentEntry(EntryBase):
    """A consent decision, as recorded in the ledger (its full record: GET …/consents/{channel}/{purpose}/history)."""

    type: Literal["consent"]
    channel: Channel
    purpose: Purpose
    status: ConsentStatus
    legal_basis: LegalBasis
    source: str | None = None


class NotificationEntry(EntryBase):
    """A message the CIS sent, or decided not to send, and why."""

    type: Literal["notification"]
    status: Literal["sent", "not_sent"]
    reason: str | None = Field(default=None, description="Why it went this way: consent, quiet hours, ...")
    channel: Channel | None = None
    template: Literal["renewal_reminder", "check_in", "support_reply"] | None = None
    subscription_id: str | None = Field(default=None, description="With renewal_reminder")
    renews_at: date | None = Field(default=None, description="With renewal_reminder")
    lead_days: int | None = Field(default=None, description="With renewal_reminder: days before the renewal")
    threshold_days: int | None = Field(default=None, description="With check_in: the quiet spell that was crossed")
    due_on: date | None = Field(default=None, description="With check_in")
    ticket_id: str | None = Field(default=None, description="With support_reply: the ticket replied on")


class MessageEntry(EntryBase):
    """A message on a support ticket's thread, from the customer or from support."""

    type: Literal["message"]
    ticket_id: str = Field(description="The ticket whose thread it is on")
    author: Literal["customer", "staff"]
    text: str | None = None


class TimelineEntry(
    RootModel[
        Annotated[
            OrderEntry
            | TicketEntry
            | MessageEntry
            | FeedbackEntry
            | NoteEntry
            | ActivityEntry
            | ConsentEntry
            | NotificationEntry,
            Field(discriminator="type"),
        ]
    ]
):
    """One entry of the timeline: its `type` says which."""

    model_config = ConfigDict(defer_build=True)  # a RootModel: Model's setting, stated here


class TimelinePage(Model):
    items: list[TimelineEntry]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page; null at the end")


class Customer360(Model):
    customer: Customer
    timeline: list[TimelineEntry] = Field(description="The latest entries, newest first, as your role may see them")


def shown_entry(entry: dict) -> EntryBase:
    """A stored entry (plain JSON) as its typed model."""
    return TimelineEntry.model_validate(entry).root
