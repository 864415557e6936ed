"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` (EM on the blocked pairs of a generated population:
6,000 people, seed 101, 41,152 pairs); do not edit by hand. m: share of true duplicates
at that level, u: share of different people sharing a blocking key at that level (comments).
"""

PRIOR = -3.30  # ln of the odds that a blocked pair is one person (0.0354)
WEIGHTS = {
    "address_typo": 4.76,  # m 0.1316, u 0.0011
    "birthday_day_month_swapped": 1.30,  # m 0.0340, u 0.0093
    "birthday_typo": 2.82,  # m 0.1513, u 0.0090
    "different_address": -4.54,  # m 0.0016, u 0.1458
    "different_birthday": -1.98,  # m 0.1101, u 0.8016
    "different_email": -1.32,  # m 0.2639, u 0.9874
    "different_family_name": -3.31,  # m 0.0193, u 0.5279
    "different_given_name": -6.15,  # m 0.0004, u 0.2017
    "different_name": -2.99,  # m 0.0098, u 0.1944
    "different_phone": -1.87,  # m 0.1487, u 0.9645
    "household_address": -4.43,  # m 0.0004, u 0.0369
    "household_phone": -4.08,  # m 0.0005, u 0.0318
    "names_swapped": 3.60,  # m 0.1277, u 0.0035
    "nickname": 1.82,  # m 0.0289, u 0.0047
    "same_address": 5.11,  # m 0.7699, u 0.0047
    "same_birth_year": -5.20,  # m 0.0008, u 0.1514
    "same_birthday": 3.20,  # m 0.7037, u 0.0286
    "same_family_name": 3.13,  # m 0.0810, u 0.0035
    "same_given_name": 0.00,  # m 1.0000, u 1.0000
    "same_mailbox": 5.19,  # m 0.7059, u 0.0039
    "same_name": 2.19,  # m 0.4658, u 0.0519
    "same_phone_digits": 5.44,  # m 0.8508, u 0.0037
    "same_postcode": -7.24,  # m 0.0005, u 0.6896
    "same_street": -0.24,  # m 0.0960, u 0.1218
    "similar_email": 1.24,  # m 0.0302, u 0.0087
    "similar_name": 3.08,  # m 0.2673, u 0.0123
    "similar_phone": 0.00,  # m 1.0000, u 1.0000
}
