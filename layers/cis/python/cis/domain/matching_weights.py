"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` (EM on the blocked pairs of a generated population:
6,000 people, seed 101, 41,152 pairs); do not edit by hand. m: share of true duplicates
at that level, u: share of different people sharing a blocking key at that level (comments).
"""

PRIOR = -3.36  # ln of the odds that a blocked pair is one person: 0.0337
WEIGHTS = {
    "address_typo": 4.75,  # m 0.1368, u 0.0012
    "birthday_day_month_swapped": 1.42,  # m 0.0381, u 0.0092
    "birthday_typo": 2.92,  # m 0.1645, u 0.0089
    "different_address": -4.92,  # m 0.0011, u 0.1456
    "different_birthday": -5.42,  # m 0.0036, u 0.8038
    "different_email": -1.55,  # m 0.2102, u 0.9887
    "different_family_name": -3.23,  # m 0.0209, u 0.5269
    "different_given_name": -1.50,  # m 0.0444, u 0.1998
    "different_name": -3.24,  # m 0.0076, u 0.1942
    "different_phone": -1.85,  # m 0.1517, u 0.9628
    "household_address": -4.50,  # m 0.0005, u 0.0422
    "household_phone": -4.16,  # m 0.0006, u 0.0360
    "names_swapped": 3.60,  # m 0.1309, u 0.0036
    "nickname": 1.85,  # m 0.0297, u 0.0047
    "same_address": 6.76,  # m 0.7600, u 0.0009
    "same_birth_year": -5.07,  # m 0.0010, u 0.1511
    "same_birthday": 3.38,  # m 0.7929, u 0.0270
    "same_family_name": 3.01,  # m 0.0772, u 0.0038
    "same_given_name": 0.00,  # m 1.0000, u 1.0000
    "same_mailbox": 5.72,  # m 0.7618, u 0.0025
    "same_name": 2.05,  # m 0.4204, u 0.0542
    "same_phone_digits": 6.60,  # m 0.8478, u 0.0012
    "same_postcode": -7.19,  # m 0.0005, u 0.6885
    "same_street": -0.18,  # m 0.1012, u 0.1216
    "similar_email": 1.15,  # m 0.0279, u 0.0088
    "similar_name": 3.05,  # m 0.2688, u 0.0127
    "similar_phone": 0.00,  # m 1.0000, u 1.0000
}
