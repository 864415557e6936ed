"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` (EM on the blocked pairs of a generated population:
6,000 people, seed 101, 41,296 pairs); do not edit by hand. m: share of true duplicates
at that level, u: share of different people sharing a blocking key at that level (comments).
"""

PRIOR = -3.37  # ln of the odds that a blocked pair is one person: 0.0333
WEIGHTS = {
    "address_typo": 4.74,  # m 0.1370, u 0.0012
    "birthday_day_month_swapped": 1.24,  # m 0.0299, u 0.0086
    "birthday_typo": 2.79,  # m 0.1523, u 0.0094
    "different_address": -5.12,  # m 0.0009, u 0.1458
    "different_birthday": -6.22,  # m 0.0016, u 0.8038
    "different_email": -1.53,  # m 0.2144, u 0.9881
    "different_family_name": -3.86,  # m 0.0112, u 0.5295
    "different_given_name": -1.28,  # m 0.0562, u 0.2016
    "different_name": -3.52,  # m 0.0056, u 0.1880
    "different_phone": -1.75,  # m 0.1678, u 0.9646
    "household_address": -4.43,  # m 0.0005, u 0.0411
    "household_phone": -4.04,  # m 0.0006, u 0.0340
    "names_swapped": 3.57,  # m 0.1110, u 0.0031
    "nickname": 1.75,  # m 0.0335, u 0.0058
    "same_address": 6.82,  # m 0.7828, u 0.0009
    "same_birth_year": -5.56,  # m 0.0006, u 0.1517
    "same_birthday": 3.42,  # m 0.8156, u 0.0266
    "same_family_name": 2.66,  # m 0.0269, u 0.0019
    "same_given_name": 1.84,  # m 0.0206, u 0.0033
    "same_mailbox": 5.68,  # m 0.7631, u 0.0026
    "same_name": 2.10,  # m 0.4481, u 0.0549
    "same_phone_digits": 6.68,  # m 0.7601, u 0.0010
    "same_postcode": -6.15,  # m 0.0015, u 0.6908
    "same_street": -0.44,  # m 0.0773, u 0.1203
    "similar_email": 0.88,  # m 0.0225, u 0.0093
    "similar_name": 3.18,  # m 0.2870, u 0.0119
    "similar_phone": 5.00,  # m 0.0715, u 0.0005
}
