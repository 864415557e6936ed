"""Each customer field is declared once, on CustomerFields: the patch, the CSV columns and the merge rules follow."""

import re
from typing import Literal, get_args

import pytest
from cis.domain.contact import EmailAddress, Strict
from cis.domain.customer import (
    FIELD_TRAITS,
    PATCH_READS_RECORD,
    CustomerCreate,
    CustomerFields,
    CustomerPatch,
    patch_fields,
)
from cis.domain.customer_csv import CUSTOMER_CSV, SERVER_COLUMNS, CsvLayout
from cis.domain.imports import columns_of
from cis.domain.keys import unique_keys
from cis.domain.merging import LIST_ITEM_IDENTITY, MAPS, FieldRule, MergeableField, MergeRequest, survivor_fields
from cis.domain.traits import KeyedColumns, traits_of
from pydantic import Field, ValidationError, create_model

ADA_ID, ADA_AGAIN_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAW"
FULL = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "display_name": "Ada, Countess of Lovelace",
    "emails": [{"address": "ada@example.com"}, {"address": "countess@example.org"}],
    "phones": [{"number": "+442079460958"}],
    "addresses": [
        {
            "lines": ["14 Elm Row", "Flat 2"],
            "locality": "Edinburgh",
            "region": "Lothian",
            "postal_code": "EH7 4AA",
            "country": "GB",
        }
    ],
    "birthday": "1985-12-10",
    "locale": "en-GB",
    "time_zone": "Europe/London",
    "preferred_channel": "sms",
    "tags": ["vip", "gym"],
    "external_ids": {"billing": "C-1", "shop": "S-9"},
    "custom_attributes": {"company": "Analytical Engines"},
}


class WithNewFields(CustomerFields):
    """CustomerFields as it would be with three more fields, declared nowhere else."""

    loyalty_tier: Literal["silver", "gold"] | None = None
    interests: list[str] = Field(default_factory=list)
    preferences: dict[str, str] = Field(default_factory=dict)


NEW_FIELDS = {"loyalty_tier": "gold", "interests": ["chess", "tea"], "preferences": {"newsletter": "weekly"}}


def test_every_client_field_is_in_the_patch_the_import_and_export_columns_and_the_merge_rules():
    fields = tuple(CustomerFields.model_fields)
    assert tuple(CustomerPatch.model_fields) == fields
    assert get_args(MergeableField) == fields
    exported = CUSTOMER_CSV.header([CUSTOMER_CSV.to_row({name: {"key": "value"} for name in MAPS})])
    imported = columns_of(exported, {})
    assert {CUSTOMER_CSV.field_of(column) for column in imported.values()} == set(fields)
    assert set(LIST_ITEM_IDENTITY) == {"emails", "phones", "addresses", "tags"}
    assert {"external_ids", "custom_attributes"} == MAPS
    same_mailbox = LIST_ITEM_IDENTITY["emails"]
    assert same_mailbox({"address": "Ada@Example.com"}) == same_mailbox({"address": "ada@example.com", "label": "work"})


def test_a_field_added_to_the_model_is_patchable_importable_exportable_and_mergeable():
    patch = create_model("Patch", __base__=Strict, **patch_fields(WithNewFields))
    assert set(patch.model_fields) == set(WithNewFields.model_fields)
    assert patch.model_validate({"loyalty_tier": None, "interests": ["chess"]}).interests == ["chess"]
    with pytest.raises(ValidationError):
        patch.model_validate({"loyalty_tier": "platinum"})

    layout = CsvLayout(WithNewFields)
    assert {"loyalty_tier", "interests"} <= set(layout.columns) and "preferences." in layout.prefixes
    customer = WithNewFields.model_validate(FULL | NEW_FIELDS).model_dump(mode="json")
    row = layout.to_row(customer)
    record, _ = layout.to_record(row, {column: column for column in row if column not in SERVER_COLUMNS})
    assert WithNewFields.model_validate(record).model_dump(mode="json") == customer

    # merging combines each field by its kind, and MergeableField names every field of the model
    kinds = {name: traits.kind for name, traits in traits_of(WithNewFields).items() if name in NEW_FIELDS}
    assert kinds == {"loyalty_tier": "scalar", "interests": "list", "preferences": "map"}


def test_a_customer_with_every_field_set_exports_to_one_row_that_imports_back_the_same():
    customer = CustomerCreate.model_validate(FULL).model_dump(mode="json")
    row = CUSTOMER_CSV.to_row(customer)
    record, _ = CUSTOMER_CSV.to_record(row, columns_of(CUSTOMER_CSV.header([row]), {}))
    assert CustomerCreate.model_validate(record).model_dump(mode="json") == customer


def test_a_patch_takes_null_for_every_field_and_merges_key_by_key_maps():
    every_field = set(CustomerFields.model_fields)
    assert CustomerPatch.model_validate(dict.fromkeys(every_field)).model_fields_set == every_field
    patch = CustomerPatch.model_validate({"custom_attributes": {"company": None, "team": "maths"}})
    merged = patch.apply_to(CustomerFields.model_validate(FULL))
    assert merged.custom_attributes == {"team": "maths"}


def test_preferred_channel_can_take_a_merge_rule():
    survivor = {"id": ADA_ID, "updated_at": "2026-01-02T00:00:00Z", "given_name": "Ada", "preferred_channel": "email"}
    other = {"id": ADA_AGAIN_ID, "updated_at": "2026-01-01T00:00:00Z", "given_name": "Ada", "preferred_channel": "sms"}
    request = MergeRequest.model_validate(
        {"merge_ids": [ADA_AGAIN_ID], "fields": {"preferred_channel": {"rule": "from", "customer_id": ADA_AGAIN_ID}}}
    )
    assert survivor_fields(survivor, [other], request.fields)["preferred_channel"] == "sms"
    assert survivor_fields(survivor, [other], {})["preferred_channel"] == "email"  # combine: the survivor's first
    dropped = {"preferred_channel": FieldRule(rule="value", value=None)}
    assert "preferred_channel" not in survivor_fields(survivor, [other], dropped)


def test_fields_with_lookup_keys_are_marked_indexed_so_a_patch_of_them_reads_the_record():
    keyed = {re.split(r"[.\[]", key.path)[0] for key in unique_keys(CustomerCreate.model_validate(FULL))}
    assert keyed == {"emails", "phones", "external_ids"}
    assert all(FIELD_TRAITS[name].indexed for name in keyed)
    assert keyed <= PATCH_READS_RECORD


def test_a_list_of_objects_must_say_how_a_csv_row_holds_it():
    class WithContacts(CustomerFields):
        assistants: list[EmailAddress] = Field(default_factory=list)

    with pytest.raises(TypeError, match="assistants"):
        traits_of(WithContacts)


def test_two_fields_cannot_claim_one_csv_column():
    class Clashing(CustomerFields):
        email: str | None = None  # the column the emails field takes

    with pytest.raises(TypeError, match="one CSV column"):
        CsvLayout(Clashing)


def test_map_columns_belong_to_their_field_by_prefix():
    assert CUSTOMER_CSV.field_of("external_id.billing") == "external_ids"
    assert CUSTOMER_CSV.field_of("custom.company") == "custom_attributes"
    assert CUSTOMER_CSV.field_of("favourite_colour") is None
    assert all(isinstance(CUSTOMER_CSV.shapes[name], KeyedColumns) for name in MAPS)
