"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` (EM on the blocked pairs of a generated population:
6,000 people, seed 101, 41,171 pairs); do not edit by hand. m: share of true duplicates
at that level, u: share of different people sharing a blocking key at that level (comments).
"""

PRIOR = -3.36  # ln of the odds that a blocked pair is one person: 0.0336
WEIGHTS = {
    "address_typo": 4.75,  # m 0.1369, u 0.0012
    "birthday_day_month_swapped": 1.42,  # m 0.0381, u 0.0092
    "birthday_typo": 2.91,  # m 0.1638, u 0.0089
    "different_address": -4.93,  # m 0.0011, u 0.1460
    "different_birthday": -5.42,  # m 0.0036, u 0.8033
    "different_email": -1.55,  # m 0.2102, u 0.9887
    "different_family_name": -3.22,  # m 0.0210, u 0.5268
    "different_given_name": -1.50,  # m 0.0444, u 0.1999
    "different_name": -3.24,  # m 0.0076, u 0.1942
    "different_phone": -1.85,  # m 0.1507, u 0.9628
    "household_address": -4.50,  # m 0.0005, u 0.0422
    "household_phone": -4.15,  # m 0.0006, u 0.0360
    "names_swapped": 3.60,  # m 0.1310, u 0.0036
    "nickname": 1.85,  # m 0.0297, u 0.0047
    "same_address": 6.76,  # m 0.7598, u 0.0009
    "same_birth_year": -5.07,  # m 0.0010, u 0.1514
    "same_birthday": 3.37,  # m 0.7936, u 0.0272
    "same_family_name": 3.01,  # m 0.0773, u 0.0038
    "same_given_name": 0.00,  # m 1.0000, u 1.0000
    "same_mailbox": 5.72,  # m 0.7619, u 0.0025
    "same_name": 2.05,  # m 0.4199, u 0.0542
    "same_phone_digits": 6.60,  # m 0.8488, u 0.0012
    "same_postcode": -7.19,  # m 0.0005, u 0.6882
    "same_street": -0.18,  # m 0.1013, u 0.1216
    "similar_email": 1.15,  # m 0.0279, u 0.0088
    "similar_name": 3.05,  # m 0.2690, u 0.0127
    "similar_phone": 0.00,  # m 1.0000, u 1.0000
}
