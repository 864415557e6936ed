"""Duplicate detection on a labelled population: precision and recall of blocking plus scoring at the
two thresholds the API uses (a likely duplicate stops a create with 409; a listed one is shown on
/v1/duplicates), and how many pairs blocking lets through per record.

    .venv/bin/python bench/duplicates.py

The population (cis_local.synthetic): generated people, true duplicates of some of them (the same
person entered again, with nicknames, typos, transliterations, other emails) and look-alikes of others
(relatives, namesakes, a son named after his father). Each record is checked against those before it,
as creates and imports see the base. Pure computation: no table, no AWS.
"""

from __future__ import annotations

import sys

PEOPLE, DUPLICATES, LOOK_ALIKES = 2000, 0.1, 0.1  # cis_local.synthetic.population's defaults


def measure() -> dict:
    from cis.domain.matching import LIKELY, LISTED
    from cis_local.synthetic import measure as quality_of
    from cis_local.synthetic import population

    people = population(PEOPLE, DUPLICATES, LOOK_ALIKES)
    thresholds = {}
    for label, threshold in (("likely (409 on create)", LIKELY), ("listed (/v1/duplicates)", LISTED)):
        found = quality_of(people, threshold)
        thresholds[label] = {
            "threshold": threshold,
            "precision": round(found.precision, 3),
            "recall": round(found.recall, 3),
        }
    return {
        "people": PEOPLE,
        "true_duplicates": int(PEOPLE * DUPLICATES),
        "look_alikes": int(PEOPLE * LOOK_ALIKES),
        "records": len(people),
        "true_pairs": found.true_pairs,
        "thresholds": thresholds,
        "pairs_compared": found.compared,  # the same at either threshold: blocking decides what is compared
        "pairs_compared_per_record": round(found.compared / len(people), 2),
    }


def report(results: dict) -> None:
    print(
        f"Duplicate detection on a labelled population: {results['people']:,} people, {results['true_duplicates']:,} "
        f"true duplicates, {results['look_alikes']:,} look-alikes ({results['records']:,} records, "
        f"{results['true_pairs']:,} true pairs)"
    )
    for label, found in results["thresholds"].items():
        print(
            f"  {label:<26} score >= {found['threshold']:<5} precision {found['precision']:.3f}  "
            f"recall {found['recall']:.3f}"
        )
    print(
        f"  {'pairs compared':<26} {results['pairs_compared']:,}, "
        f"{results['pairs_compared_per_record']:.2f} per record (blocking, never the whole base)"
    )


def main() -> int:
    report(measure())
    return 0


if __name__ == "__main__":
    sys.exit(main())
