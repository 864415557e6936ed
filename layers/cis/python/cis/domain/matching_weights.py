"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` on a generated population (6,000 people, seed 101):
m by EM on its 43,473 blocked pairs, u from 300,000 random pairs of its records; do
not edit by hand. m: share of true duplicates at that level, u: share of two different people at it
(comments). The prior is the odds that two records drawn at random are one person.
"""

PRIOR = -9.88  # 1,368 matches among 7,326 records: 5.10e-05
FITTED_ON = {"people": 6000, "seed": 101}  # a bench measures on another seed
WEIGHTS = {
    "address_typo": 9.81,  # m 0.1359, u 0.000007
    "birthday_day_month_swapped": 7.18,  # m 0.0276, u 0.000021
    "birthday_typo": 4.94,  # m 0.1788, u 0.001274
    "different_address": -7.16,  # m 0.0008, u 0.968887
    "different_birthday": -6.39,  # m 0.0017, u 0.984046
    "different_email": -2.01,  # m 0.1333, u 0.999637
    "different_family_name": -0.06,  # m 0.0138, u 0.014599
    "different_given_name": 2.38,  # m 0.0553, u 0.005089
    "different_name": -4.30,  # m 0.0133, u 0.979916
    "different_phone": -2.10,  # m 0.1224, u 0.999892
    "email_birth_year": 4.05,  # m 0.8791, u 0.015302
    "email_other_birth_year": -2.10,  # m 0.1209, u 0.984698
    "household_address": 1.90,  # m 0.0005, u 0.000072
    "household_phone": 2.52,  # m 0.0006, u 0.000049
    "mailbox_of_other_name": 3.70,  # m 0.0090, u 0.000222
    "names_swapped": 8.75,  # m 0.1178, u 0.000019
    "nickname": 6.69,  # m 0.0340, u 0.000042
    "same_address": 9.71,  # m 0.7786, u 0.000047
    "same_birth_year": -3.37,  # m 0.0005, u 0.014573
    "same_birthday": 9.12,  # m 0.7915, u 0.000086
    "same_family_name": 6.13,  # m 0.0257, u 0.000056
    "same_given_name": 5.27,  # m 0.0201, u 0.000103
    "same_mailbox": 9.27,  # m 0.8542, u 0.000080
    "same_name": 8.32,  # m 0.4515, u 0.000110
    "same_phone_digits": 9.56,  # m 0.7947, u 0.000056
    "same_postcode": -3.58,  # m 0.0008, u 0.030134
    "same_street": 4.58,  # m 0.0834, u 0.000851
    "similar_email": 4.07,  # m 0.0036, u 0.000061
    "similar_name": 8.31,  # m 0.2686, u 0.000066
    "similar_phone": 10.00,  # m 0.0823, u 0.000004
}
