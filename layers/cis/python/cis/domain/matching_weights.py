"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` (EM on the blocked pairs of a generated population:
6,000 people, seed 101, 41,263 pairs); do not edit by hand. m: share of true duplicates
at that level, u: share of different people sharing a blocking key at that level (comments).
"""

PRIOR = -3.31  # ln of the odds that a blocked pair is one person (0.0351)
WEIGHTS = {
    "address_typo": 5.12,  # m 0.1672, u 0.0010
    "birthday_day_month_swapped": 1.70,  # m 0.0419, u 0.0077
    "birthday_typo": 3.08,  # m 0.1704, u 0.0078
    "different_address": -5.59,  # m 0.0007, u 0.1898
    "different_birthday": -3.32,  # m 0.0299, u 0.8271
    "different_email": -1.86,  # m 0.1533, u 0.9883
    "different_family_name": -2.29,  # m 0.0527, u 0.5200
    "different_given_name": -0.70,  # m 0.0993, u 0.1998
    "different_name": -1.94,  # m 0.0287, u 0.1994
    "different_phone": -1.79,  # m 0.1615, u 0.9705
    "names_swapped": 3.61,  # m 0.1427, u 0.0039
    "nickname": 1.78,  # m 0.0318, u 0.0054
    "same_address": 2.69,  # m 0.6845, u 0.0463
    "same_birth_year": -4.04,  # m 0.0024, u 0.1355
    "same_birthday": 3.54,  # m 0.7554, u 0.0219
    "same_family_name": 2.75,  # m 0.0581, u 0.0037
    "same_given_name": 0.00,  # m 1.0000, u 1.0000
    "same_mailbox": 6.16,  # m 0.8319, u 0.0018
    "same_name": 1.92,  # m 0.3809, u 0.0560
    "same_phone_digits": 3.35,  # m 0.8385, u 0.0295
    "same_postcode": -4.73,  # m 0.0057, u 0.6472
    "same_street": 0.20,  # m 0.1419, u 0.1157
    "similar_email": 0.40,  # m 0.0148, u 0.0099
    "similar_name": 2.85,  # m 0.2058, u 0.0119
    "similar_phone": 0.00,  # m 1.0000, u 1.0000
}
