"""Validation and normalization of customer data, without AWS."""

import pytest
from cis.domain.customer import CustomerCreate, CustomerFields, CustomerPatch
from cis.domain.keys import key_from_query, unique_keys
from cis.errors import InvalidRequest
from pydantic import ValidationError


def problems(data: dict, model=CustomerCreate) -> dict[tuple, str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return {error["loc"]: error["type"] for error in caught.value.errors()}


def test_email_is_normalized_and_first_one_becomes_primary():
    customer = CustomerCreate.model_validate(
        {"emails": [{"address": "  Ada.Lovelace@EXAMPLE.com "}, {"address": "ada@example.org"}]}
    )
    assert [e.address for e in customer.emails] == ["Ada.Lovelace@example.com", "ada@example.org"]
    assert [e.primary for e in customer.emails] == [True, False]


def test_phone_numbers_are_stored_in_e164_using_the_default_region_for_national_numbers():
    customer = CustomerCreate.model_validate({"phones": [{"number": "(415) 555-0132"}, {"number": "+44 20 7946 0958"}]})
    assert [p.number for p in customer.phones] == ["+14155550132", "+442079460958"]


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ({"emails": [{"address": "no-at-sign"}]}, ("emails", 0, "address")),
        ({"phones": [{"number": "12"}]}, ("phones", 0, "number")),
        ({"given_name": "A", "time_zone": "Mars/Olympus"}, ("time_zone",)),
        ({"given_name": "A", "locale": "english"}, ("locale",)),
        ({"given_name": "A", "birthday": "2999-01-01"}, ("birthday",)),
        ({"given_name": "A", "addresses": [{"lines": ["1 Road"], "country": "XX"}]}, ("addresses", 0, "country")),
        ({"given_name": "A", "tags": ["has space"]}, ("tags", 0)),
        ({"given_name": "A", "external_ids": {"Bad System": "1"}}, ("external_ids", "Bad System", "[key]")),
    ],
)
def test_invalid_values_are_reported_at_their_field(data, location):
    assert location in problems(data)


def test_two_primary_emails_are_rejected():
    data = {"emails": [{"address": "a@example.com", "primary": True}, {"address": "b@example.com", "primary": True}]}
    assert ("emails",) in problems(data)


def test_the_same_email_twice_in_different_case_is_rejected():
    assert ("emails",) in problems({"emails": [{"address": "a@example.com"}, {"address": "A@EXAMPLE.COM"}]})


def test_unknown_and_read_only_fields_are_rejected_not_ignored():
    found = problems({"given_name": "A", "favourite_colour": "red", "version": 7})
    assert found[("favourite_colour",)] == "extra_forbidden"
    assert found[("version",)] == "extra_forbidden"


def test_a_customer_with_nothing_that_identifies_them_is_rejected():
    assert () in problems({"tags": ["vip"]})


def test_a_walk_in_customer_needs_only_a_name():
    assert CustomerCreate.model_validate({"given_name": "Rosa"}).given_name == "Rosa"


def test_custom_attributes_are_bounded():
    too_many = {f"k{i}": i for i in range(51)}
    assert ("custom_attributes",) in problems({"given_name": "A", "custom_attributes": too_many})


def test_tags_are_lowercased_and_deduplicated():
    assert CustomerCreate.model_validate({"given_name": "A", "tags": ["VIP", "vip", "Gold"]}).tags == ["vip", "gold"]


def test_patch_of_independent_fields_needs_no_read():
    patch = CustomerPatch.model_validate({"locale": "en-GB", "birthday": None, "given_name": "Ada"})
    assert patch.independent_changes() == {"locale": "en-GB", "birthday": None, "given_name": "Ada"}


@pytest.mark.parametrize(
    "body",
    [
        {"emails": []},
        {"phones": None},
        {"external_ids": {"shop": "1"}},
        {"custom_attributes": {"a": 1}},
        {"given_name": None},
        {"tags": ["vip"]},
    ],
)
def test_patch_touching_keys_tags_bounds_or_identity_needs_the_stored_record(body):
    assert CustomerPatch.model_validate(body).independent_changes() is None


def test_patch_null_removes_and_custom_attributes_merge_key_by_key():
    current = CustomerFields.model_validate(
        {"given_name": "Ada", "family_name": "Byron", "custom_attributes": {"a": 1, "b": 2}}
    )
    patch = CustomerPatch.model_validate({"family_name": None, "custom_attributes": {"b": None, "c": "x"}})
    merged = patch.apply_to(current)
    assert merged.family_name is None
    assert merged.given_name == "Ada"
    assert merged.custom_attributes == {"a": 1, "c": "x"}


def test_patch_that_would_leave_a_customer_unidentifiable_is_rejected():
    current = CustomerFields.model_validate({"given_name": "Ada"})
    with pytest.raises(ValidationError):
        CustomerPatch.model_validate({"given_name": None}).apply_to(current)


def test_empty_patch_is_rejected():
    assert () in problems({}, CustomerPatch)


def test_unique_keys_cover_emails_phones_and_external_ids_with_their_body_paths():
    customer = CustomerCreate.model_validate(
        {
            "emails": [{"address": "A@Example.com"}],
            "phones": [{"number": "+14155550132"}],
            "external_ids": {"shop": "9"},
        }
    )
    assert [(k.kind, k.value, k.path) for k in unique_keys(customer)] == [
        ("email", "a@example.com", "emails[0].address"),
        ("phone", "+14155550132", "phones[0].number"),
        ("external_id", "shop:9", "external_ids.shop"),
    ]


def test_lookup_query_is_normalized_like_stored_keys():
    assert key_from_query(email="A@EXAMPLE.com", phone=None, external_id=None).value == "a@example.com"
    assert key_from_query(email=None, phone="415 555 0132", external_id=None).value == "+14155550132"
    assert key_from_query(email=None, phone=None, external_id="billing:C-1:x").value == "billing:C-1:x"


@pytest.mark.parametrize(
    "query",
    [
        {"email": "a@example.com", "phone": "+14155550132", "external_id": None},
        {"email": None, "phone": None, "external_id": "no-colon"},
        {"email": "not-an-email", "phone": None, "external_id": None},
    ],
)
def test_bad_lookup_queries_are_rejected_with_the_parameter_named(query):
    with pytest.raises(InvalidRequest) as caught:
        key_from_query(**query)
    assert caught.value.fields and caught.value.fields[0].path in query
