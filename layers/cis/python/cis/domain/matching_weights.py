"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` on a generated population (6,000 people, seed 101):
m by EM on its 43,009 blocked pairs, u from 300,000 random pairs of its records; do
not edit by hand. m: share of true duplicates at that level, u: share of two different people at it
(comments). The prior is the odds that two records drawn at random are one person.
"""

PRIOR = -9.89  # 1,358 matches among 7,319 records: 5.07e-05
FITTED_ON = {"people": 6000, "seed": 101}  # a bench measures on another seed
WEIGHTS = {
    "address_typo": 10.86,  # m 0.1295, u 0.000002
    "birthday_day_month_swapped": 8.04,  # m 0.0361, u 0.000012
    "birthday_typo": 4.84,  # m 0.1630, u 0.001286
    "different_address": -7.22,  # m 0.0007, u 0.969370
    "different_birthday": -7.21,  # m 0.0007, u 0.984117
    "different_email": -1.39,  # m 0.2488, u 0.999946
    "different_family_name": -0.18,  # m 0.0122, u 0.014645
    "different_given_name": 2.27,  # m 0.0516, u 0.005318
    "different_name": -4.99,  # m 0.0067, u 0.979692
    "different_phone": -1.94,  # m 0.1441, u 0.999850
    "household_address": 1.65,  # m 0.0005, u 0.000092
    "household_phone": 2.13,  # m 0.0006, u 0.000070
    "names_swapped": 9.22,  # m 0.1198, u 0.000012
    "nickname": 7.26,  # m 0.0360, u 0.000025
    "same_address": 9.70,  # m 0.7709, u 0.000047
    "same_birth_year": -2.30,  # m 0.0014, u 0.014485
    "same_birthday": 8.99,  # m 0.7987, u 0.000100
    "same_family_name": 6.24,  # m 0.0251, u 0.000049
    "same_given_name": 5.37,  # m 0.0201, u 0.000093
    "same_mailbox": 9.87,  # m 0.7443, u 0.000039
    "same_name": 8.48,  # m 0.4644, u 0.000096
    "same_phone_digits": 9.69,  # m 0.7653, u 0.000048
    "same_postcode": -2.70,  # m 0.0020, u 0.029512
    "same_street": 4.59,  # m 0.0964, u 0.000976
    "similar_email": 6.14,  # m 0.0069, u 0.000015
    "similar_name": 8.25,  # m 0.2641, u 0.000069
    "similar_phone": 7.91,  # m 0.0900, u 0.000033
}
