"""Placeholder: written by `python -m cis_local.linkage fit`."""

PRIOR = -4.0
WEIGHTS = {
    "same_name": 4.0, "nickname": 3.5, "similar_name": 3.0, "names_swapped": 3.0,
    "different_given_name": -2.0, "different_family_name": -2.0, "different_name": -5.0,
    "same_family_name": 1.0, "same_given_name": 1.0,
    "same_birthday": 4.0, "birthday_typo": 2.0, "birthday_day_month_swapped": 2.0, "same_birth_year": -2.0,
    "different_birthday": -5.0,
    "same_address": 3.0, "address_typo": 2.5, "same_street": 1.0, "same_postcode": 0.5, "different_address": -1.0,
    "same_mailbox": 5.0, "similar_email": 2.0, "different_email": -0.5,
    "same_phone_digits": 4.0, "similar_phone": 2.0, "different_phone": -0.5,
}  # fmt: skip
