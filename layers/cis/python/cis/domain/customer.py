"""The customer profile: what a client may send, and what the system keeps."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, create_model, model_validator

from cis.domain.consent import ConsentState
from cis.domain.contact import EmailAddress, PhoneNumber, PostalAddress, Strict, email_lookup_key, one_primary
from cis.domain.devices import Device
from cis.domain.engagement import Engagement
from cis.domain.ids import CUSTOMER_ID_PATTERN
from cis.domain.interests import Interests
from cis.domain.model import Model, empty_list
from cis.domain.moments import Day
from cis.domain.names import check_name
from cis.domain.risk import ChurnRisk
from cis.domain.subscriptions import Subscription
from cis.domain.traits import AddressColumns, ItemsCell, KeyedColumns, Traits, traits_of

MAX_EMAILS = 10
MAX_PHONES = 10
MAX_ADDRESSES = 10
MAX_TAGS = 50
MAX_EXTERNAL_IDS = 20
MAX_CUSTOM_ATTRIBUTES = 50


def _check_emails(items: list[EmailAddress]) -> list[EmailAddress]:
    seen = [email_lookup_key(item.address) for item in items]
    if len(set(seen)) != len(seen):
        raise ValueError("the same email address is listed twice")
    return one_primary(items, "email address")


def _check_phones(items: list[PhoneNumber]) -> list[PhoneNumber]:
    numbers = [item.number for item in items]
    if len(set(numbers)) != len(numbers):
        raise ValueError("the same phone number is listed twice")
    return one_primary(items, "phone number")


def _check_birthday(value: date) -> date:
    if value > datetime.now(UTC).date():
        raise ValueError("birthday is in the future")
    if value.year < 1900:
        raise ValueError("birthday is before 1900")
    return value


def _check_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("not an IANA time zone name, such as Europe/Berlin or America/New_York") from error
    return value


def _dedupe_tags(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tag.lower() for tag in tags))


def _check_custom_attributes(values: dict[str, Any]) -> dict[str, Any]:
    if len(values) > MAX_CUSTOM_ATTRIBUTES:
        raise ValueError(f"at most {MAX_CUSTOM_ATTRIBUTES} custom attributes, got {len(values)}")
    return values


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(check_name)
]
DisplayName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(check_name)
]
Emails = Annotated[list[EmailAddress], Field(max_length=MAX_EMAILS), AfterValidator(_check_emails)]
Phones = Annotated[list[PhoneNumber], Field(max_length=MAX_PHONES), AfterValidator(_check_phones)]
Addresses = Annotated[list[PostalAddress], Field(max_length=MAX_ADDRESSES)]
Birthday = Annotated[Day, AfterValidator(_check_birthday)]
Locale = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$"),
    Field(description="BCP 47 language tag, e.g. en-GB or pt-BR"),
]
TimeZone = Annotated[str, Field(max_length=64, description="IANA time zone"), AfterValidator(_check_time_zone)]


class PreferredChannel(StrEnum):
    """How the customer likes to hear from us, where they consented."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"  # notifications in the customer app, on the devices it registered


class CustomerStatus(StrEnum):
    """An archived customer is hidden from every team's lists."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    ERASED = "erased"  # a tombstone: the person's data was erased (410 erased)


TAG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$"
Tag = Annotated[str, StringConstraints(strip_whitespace=True, pattern=TAG_PATTERN)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_dedupe_tags)]
System = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
ExternalIds = Annotated[
    dict[System, ExternalId],
    Field(max_length=MAX_EXTERNAL_IDS, description="Id of this customer in another system, by system name"),
]
AttributeKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
AttributeValue = Annotated[str, StringConstraints(max_length=500)] | int | float | bool
CustomAttributes = Annotated[dict[AttributeKey, AttributeValue], AfterValidator(_check_custom_attributes)]

# Kept by their own write paths, never by a profile edit; tag lists leave them out.
SYSTEM_KEPT = frozenset({"engagement", "consents", "subscriptions", "churn_risk", "devices", "interests"})


def _same_mailbox(item: dict) -> str:
    return email_lookup_key(item["address"])


def _same_number(item: dict) -> str:
    return item["number"]


class CustomerFields(Strict):
    """Everything a client may set on a customer: the one declaration of the customer's fields.

    The patch model, the merge rules and the CSV columns are derived from it (domain.traits).
    """

    given_name: Annotated[Name | None, Traits(identifies=True)] = None
    family_name: Annotated[Name | None, Traits(identifies=True)] = None
    display_name: Annotated[DisplayName | None, Traits(identifies=True)] = None
    emails: Annotated[
        Emails,
        Traits(identifies=True, indexed=True, item_identity=_same_mailbox, csv=ItemsCell("email", "address")),
    ] = Field(default_factory=empty_list)
    phones: Annotated[
        Phones,
        Traits(identifies=True, indexed=True, item_identity=_same_number, csv=ItemsCell("phone", "number")),
    ] = Field(default_factory=empty_list)
    addresses: Annotated[Addresses, Traits(csv=AddressColumns())] = Field(default_factory=empty_list)
    birthday: Birthday | None = None
    locale: Locale | None = None
    time_zone: TimeZone | None = None
    preferred_channel: PreferredChannel | None = None
    tags: Annotated[Tags, Traits(indexed=True)] = Field(default_factory=empty_list)
    external_ids: Annotated[
        ExternalIds,
        Traits(identifies=True, indexed=True, csv=KeyedColumns("external_id.")),
    ] = Field(default_factory=dict)
    custom_attributes: Annotated[
        CustomAttributes,
        Traits(patch_key_by_key=True, csv=KeyedColumns("custom.")),
    ] = Field(default_factory=dict)


FIELD_TRAITS = traits_of(CustomerFields)
IDENTIFYING_FIELDS = tuple(name for name, traits in FIELD_TRAITS.items() if traits.identifies)
# A patch of these cannot be applied blind: lookup or index items change with them, or they merge key by key.
PATCH_READS_RECORD = frozenset(
    name for name, traits in FIELD_TRAITS.items() if traits.indexed or traits.patch_key_by_key
)


def _one_of(names: tuple[str, ...]) -> str:
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


class CustomerCreate(CustomerFields):
    """A new customer. Any one of a name, an email, a phone or an external id identifies them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "given_name": "Ada",
                    "family_name": "Lovelace",
                    "emails": [{"address": "ada@example.com"}],
                    "time_zone": "Europe/London",
                    "tags": ["vip"],
                }
            ]
        }
    )

    @model_validator(mode="after")
    def _identifiable(self) -> CustomerCreate:
        if not any(getattr(self, name) for name in IDENTIFYING_FIELDS):
            raise ValueError(f"a customer needs at least one of {_one_of(IDENTIFYING_FIELDS)}")
        return self


KEY_BY_KEY = "Merged key by key; a null value removes that key"


def patch_fields(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields as a merge patch takes them: each optional, null removing it (create_model's form)."""
    fields: dict[str, Any] = {}
    for name, traits in traits_of(model).items():
        field = model.model_fields[name]
        if traits.patch_key_by_key:  # the field's own bounds apply to the merged map, not to the patch
            key, value = get_args(field.annotation)
            fields[name] = (dict[key, value | None] | None, Field(default=None, description=KEY_BY_KEY))
        else:
            annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            described = {"description": field.description, "examples": field.examples}
            fields[name] = (annotation | None, Field(default=None, **described))
    return fields


class CustomerPatchRules(Strict):
    """A JSON merge patch (RFC 7396): present fields replace, null removes, absent fields stay."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"locale": "en-GB", "family_name": None}]})

    @model_validator(mode="after")
    def _not_empty(self) -> CustomerPatchRules:
        if not self.model_fields_set:
            raise ValueError("the patch changes nothing: send at least one field")
        return self

    def independent_changes(self) -> dict[str, Any] | None:
        """The changes as plain field values, when each can be applied without reading the record.

        Fields with lookup keys (emails, phones, external ids) or index items (tags), the bounded
        custom attributes, and removals that could leave a customer unidentifiable all depend on the
        stored record; for those this returns None and the caller reads, merges and validates it.
        """
        changes: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name in PATCH_READS_RECORD or (value is None and name in IDENTIFYING_FIELDS):
                return None
            changes[name] = value
        return CustomerFields.model_validate(changes).model_dump(mode="json", include=set(changes))

    def apply_to(self, current: CustomerFields) -> CustomerCreate:
        """The record after this patch, validated as a whole (the same rules as a create)."""
        merged = current.model_dump(mode="json", include=set(CustomerFields.model_fields))
        for name in self.model_fields_set:
            value = getattr(self, name)
            if FIELD_TRAITS[name].patch_key_by_key and value is not None:
                entries = dict(merged.get(name) or {})
                for key, item in value.items():
                    if item is None:
                        entries.pop(key, None)
                    else:
                        entries[key] = item
                merged[name] = entries
            elif value is None:
                merged.pop(name, None)
            else:
                merged[name] = self.model_dump(mode="json", include={name})[name]
        return CustomerCreate.model_validate(merged)


def _customer_patch() -> type[CustomerPatchRules]:
    # Every client field, derived: a field added to CustomerFields is patchable with no edit here.
    return create_model(
        "CustomerPatch",
        __base__=CustomerPatchRules,
        __doc__=CustomerPatchRules.__doc__,
        __module__=__name__,
        **patch_fields(CustomerFields),
    )


def __getattr__(name: str) -> Any:
    """CustomerPatch, made when first imported: a model of every client field costs each cold start
    that loads this module (the notifier, the stream processor, the timeline...) though only the
    functions that edit a customer (cis.service.customers) use it."""
    if name == "CustomerPatch":
        model = globals()["CustomerPatch"] = _customer_patch()  # once: the next lookup finds it
        return model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Customer(CustomerFields):
    """A stored customer, as every API response shows it."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(pattern=CUSTOMER_ID_PATTERN, description="Server-generated ULID")]
    status: CustomerStatus = CustomerStatus.ACTIVE
    version: int = Field(ge=1, description="Increases with every change; send it back in If-Match")
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    archived_at: datetime | None = Field(
        default=None, description="When it was archived: it takes no changes until restored (POST .../restore)"
    )
    # Kept current by the system; left out (null) of tag lists, which carry the customer's own fields.
    engagement: Engagement | None = Field(default=None, description="Kept current by the system")
    consents: dict[str, ConsentState] | None = Field(
        default=None, description="Current consent per channel:purpose, e.g. email:marketing"
    )
    subscriptions: dict[str, Subscription] | None = Field(
        default=None, description="The customer's subscriptions by id, kept current by the system"
    )
    churn_risk: ChurnRisk | None = Field(
        default=None, description="The latest churn assessment: score, level and the reasons behind it"
    )
    distinct_from: list[str] | None = Field(
        default=None, description="Customers a person confirmed this one is not: never offered as duplicates"
    )
    devices: dict[str, Device] | None = Field(
        default=None, description="The customer app's installs registered for push notifications, by device id"
    )
    interests: Interests | None = Field(
        default=None, description="What they looked at lately and their cart, kept current by shop activities"
    )

    @classmethod
    def new(
        cls, data: CustomerFields, customer_id: str, actor: str, now: datetime, distinct_from: list[str] | None = None
    ) -> Customer:
        """A customer as first stored: version 1, no engagement or consent yet."""
        return cls(
            **data.model_dump(),
            engagement=Engagement(),
            consents={},
            subscriptions={},
            interests=Interests(),
            distinct_from=distinct_from or None,
            id=customer_id,
            version=1,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )


# Set by the server: a client sending one is told so, not just "unknown field".
READ_ONLY_FIELDS = tuple(name for name in Customer.model_fields if name not in CustomerFields.model_fields)


class CustomerPage(Model):
    items: list[Customer]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for the next page; null at the end")
