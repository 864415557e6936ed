"""Fellegi-Sunter weights of the duplicate matcher: ln(m/u) per comparison level, and the prior.

Written by `python -m cis_local.linkage fit` on a generated population (6,000 people, seed 101):
m by EM on its 43,473 blocked pairs, u from 300,000 random pairs of its records; do
not edit by hand. m: share of true duplicates at that level, u: share of two different people at it
(comments). The prior is the odds that two records drawn at random are one person.
"""

PRIOR = -9.88  # 1,367 matches among 7,326 records: 5.10e-05
FITTED_ON = {"people": 6000, "seed": 101}  # a bench measures on another seed
# Family names at least 5 of its people carry: the same name under one of them is
# same_name, under any other same_rare_name (a term-frequency level).
_COMMON = (
    "ali|allen|alonso|alskiell|alvarez|anderford|andermc|anderson|asche|bauer|beck|becker|bergey|bergwald"
    "|bernard|bertrand|blanc|bonnet|braun|brayholt|braykin|braywal|brookridge|brown|bruckkirch|campbell"
    "|carlalski|carlkow|carlwood|castro|chen|clark|clarke|cooper|cottkin|cox|dalewick|david|davies|davis"
    "|day|denmac|diaz|dominguez|dorfkirch|dorfner|dowridge|dubois|dunn|dupont|durand|eauvill|edwards"
    "|ellson|evans|eywood|faure|feldbach|feldberg|fernandez|ferwal|fischer|fournier|fox|fuchs|garcia|gil"
    "|girard|gomez|gonzalez|green|guerin|gusondow|gutierrez|hall|harris|hartmann|henry|hernandez|hill"
    "|hoffmann|hofmann|huber|hughes|jackson|johnson|jones|kaiser|kaur|kelly|kennedy|khan|kinfer|king"
    "|kirchlin|klein|koch|kruger|lacier|lambert|lange|laurent|lee|lefebvre|lefevre|legrand|lehmann|leroy"
    "|lewis|leycot|linberg|lopez|maclace|mannbruck|marin|marmont|martin|martinez|meier|mercier|meyer"
    "|michel|millalski|miller|millton|mitchell|molina|moore|morales|moreau|morel|moreno|muller|munoz"
    "|murphy|navarro|neumann|ng|nguyen|norander|o brien|painter|patel|perez|perrin|peters|petit|ramirez"
    "|richard|richter|ridgemor|robert|roberts|robinson|rodriguez|romero|rousseau|roussel|roux|rubio|ruiz"
    "|ryan|sanchez|schafer|schmidt|schmitt|schneider|schroder|schulz|schwarz|serrano|simon|smith|stewart"
    "|suarez|sullivan|taylor|thomas|thompson|tonander|torres|turner|vazquez|vincent|vogel|wagner|walker"
    "|ward|weber|weiss|werner|white|wickridge|wickstan|williams|wilson|wolf|wood|wright|wu|young"
    "|zimmermann"
)
COMMON_FAMILY_NAMES = frozenset(_COMMON.split("|"))
WEIGHTS = {
    "address_typo": 9.81,  # m 0.1358, u 0.000007
    "birthday_day_month_swapped": 7.19,  # m 0.0279, u 0.000021
    "birthday_typo": 4.95,  # m 0.1793, u 0.001274
    "different_address": -7.23,  # m 0.0007, u 0.968887
    "different_birthday": -6.44,  # m 0.0016, u 0.984046
    "different_email": -2.01,  # m 0.1334, u 0.999637
    "different_family_name": -0.06,  # m 0.0138, u 0.014599
    "different_given_name": 2.38,  # m 0.0552, u 0.005089
    "different_name": -4.30,  # m 0.0133, u 0.979914
    "different_phone": -2.09,  # m 0.1232, u 0.999892
    "email_birth_year": 4.06,  # m 0.8849, u 0.015302
    "email_other_birth_year": -2.15,  # m 0.1151, u 0.984698
    "household_address": 1.90,  # m 0.0005, u 0.000072
    "household_phone": 2.52,  # m 0.0006, u 0.000049
    "mailbox_of_other_name": 3.70,  # m 0.0089, u 0.000222
    "names_swapped": 8.75,  # m 0.1178, u 0.000019
    "nickname": 6.69,  # m 0.0340, u 0.000042
    "same_address": 9.71,  # m 0.7784, u 0.000047
    "same_birth_year": -3.42,  # m 0.0005, u 0.014573
    "same_birthday": 9.12,  # m 0.7907, u 0.000086
    "same_family_name": 6.13,  # m 0.0257, u 0.000056
    "same_given_name": 5.27,  # m 0.0201, u 0.000103
    "same_mailbox": 9.27,  # m 0.8542, u 0.000080
    "same_name": 7.92,  # m 0.2930, u 0.000107
    "same_phone_digits": 9.56,  # m 0.7940, u 0.000056
    "same_postcode": -3.67,  # m 0.0008, u 0.030134
    "same_rare_name": 10.35,  # m 0.1586, u 0.000005
    "same_street": 4.59,  # m 0.0839, u 0.000851
    "similar_email": 4.05,  # m 0.0035, u 0.000061
    "similar_name": 8.31,  # m 0.2686, u 0.000066
    "similar_phone": 10.00,  # m 0.0822, u 0.000004
}
