"""Duplicate detection on generated people with known truth (cis_local.linkage): precision, recall and F1
of blocking plus scoring as the API uses them, beside an offline Fellegi-Sunter baseline.

    .venv/bin/python bench/duplicates.py

The population: a few thousand people from several countries (some living together: a spouse, a
child, a son named after his father), and duplicates of a fifth of them, each with one to three
corruptions (names swapped, a typo in a short name, a nickname, a name replaced, a birthday digit or
its day and month, transposed postcode digits, another house number, a misspelt street or locality,
another email or phone, a slip in a phone number, a field left blank). Each record is checked against
the records filed before it, through its probe keys, as creates and imports see the base:
- create time: a likely duplicate (score >= LIKELY) stops a create with 409;
- listing: a pair at or above LISTED is shown on /v1/duplicates;
- baselines, offline and unsupervised, on the same records and blocks (the `bench` extra): recordlinkage's
  ECM classifier (Febrl's configuration: Jaro-Winkler on names, street and locality, exact on birthday
  parts, postcode, number, email and phone) and splink (term-frequency-adjusted name, address and phone
  comparisons, u from random pairs, m by EM); the stronger is the one the goal is held against.
The matcher's weights were fitted (`python -m cis_local.linkage fit`) on another population of the same
generator, another seed (matching_weights.FITTED_ON): the bench measures on a seed they never saw, and
says so. Recall is also shown per corruption kind (a pair counts for every kind its duplicate carries).
Pure computation: no table, no AWS. Goal: F1 >= 0.97 for both, and no more than 0.02 below the baseline.
"""

from __future__ import annotations

import sys

PEOPLE, DUPLICATES, SEED = 3000, 0.2, 17  # never the seed the weights were fitted on (cis_local.linkage.FIT_SEED)
GOAL_F1, BASELINE_MARGIN = 0.97, 0.02


def _figures(quality) -> dict:
    return {"precision": round(quality.precision, 3), "recall": round(quality.recall, 3), "f1": round(quality.f1, 3)}


def measure() -> dict:
    from cis.domain.matching import LIKELY, LISTED
    from cis.domain.matching_weights import FITTED_ON
    from cis_local.linkage import baseline, population, quality, scored_candidates, splink_baseline

    if FITTED_ON["seed"] == SEED:
        raise SystemExit(f"the weights were fitted on seed {SEED}: measure on another")
    people = population(PEOPLE, DUPLICATES, seed=SEED)
    scored, compared = scored_candidates(people)
    found = {"create_time": quality(people, scored, LIKELY), "listing": quality(people, scored, LISTED)}
    offline = {"recordlinkage": baseline(people), "splink": splink_baseline(people)}
    strongest = max(offline, key=lambda name: offline[name].f1)
    kinds = sorted(found["create_time"].per_kind)

    alone = population(PEOPLE, DUPLICATES, seed=SEED, households=0)  # the same, no one living with anyone
    alone_scored, _ = scored_candidates(alone)
    alone_baseline = {"recordlinkage": baseline, "splink": splink_baseline}[strongest](alone)

    def recall(quality, kind: str) -> float:
        hits, pairs = quality.per_kind[kind]
        return round(hits / pairs, 3)

    return {
        "people": PEOPLE,
        "seed": SEED,
        "fitted_on": dict(FITTED_ON),
        "records": len(people.records),
        "true_pairs": len(people.true_pairs()),
        "pairs_compared": compared,
        "pairs_compared_per_record": round(compared / len(people.records), 2),
        "create_time": {"threshold": LIKELY, **_figures(found["create_time"])},
        "listing": {"threshold": LISTED, **_figures(found["listing"])},
        "baselines": {name: {"pairs_compared": q.compared, **_figures(q)} for name, q in offline.items()},
        "baseline": strongest,
        "without_households": {
            "create_time_f1": round(quality(alone, alone_scored, LIKELY).f1, 3),
            "listing_f1": round(quality(alone, alone_scored, LISTED).f1, 3),
            "baseline_f1": round(alone_baseline.f1, 3),
        },
        "recall_by_kind": {
            kind: {
                "pairs": found["create_time"].per_kind[kind][1],
                "create_time": recall(found["create_time"], kind),
                "listing": recall(found["listing"], kind),
                "baseline": recall(offline[strongest], kind),
            }
            for kind in kinds
        },
    }


def report(results: dict) -> None:
    fitted = results["fitted_on"]
    print(
        f"Duplicate detection on generated people (cis_local.linkage): {results['people']:,} people of seed "
        f"{results['seed']}, {results['records']:,} records, {results['true_pairs']:,} true pairs; the weights were "
        f"fitted on {fitted['people']:,} other people, seed {fitted['seed']}"
    )
    rows = [
        ("create time", f"score >= {results['create_time']['threshold']}", results["create_time"]),
        ("listing", f"score >= {results['listing']['threshold']}", results["listing"]),
        *((name, "baseline", found) for name, found in results["baselines"].items()),
    ]
    for label, rule, found in rows:
        print(
            f"  {label:<15} {rule:<14} precision {found['precision']:.3f}  recall {found['recall']:.3f}  "
            f"F1 {found['f1']:.3f}"
        )
    offline = ", ".join(f"{name} {found['pairs_compared']:,}" for name, found in results["baselines"].items())
    print(
        f"  pairs compared: {results['pairs_compared']:,}, {results['pairs_compared_per_record']:.2f} per record "
        f"(blocking, never the whole base); baselines: {offline}; the stronger: {results['baseline']}"
    )
    alone = results["without_households"]
    print(
        f"  F1 with no households (no relatives, juniors or couples sharing a home): create time "
        f"{alone['create_time_f1']:.3f}, listing {alone['listing_f1']:.3f}, baseline {alone['baseline_f1']:.3f}"
    )
    print(f"  recall by corruption kind {'pairs':>14} {'create':>8} {'listing':>8} {'baseline':>9}")
    for kind, found in results["recall_by_kind"].items():
        print(
            f"    {kind:<34} {found['pairs']:>7} {found['create_time']:>8.3f} {found['listing']:>8.3f} "
            f"{found['baseline']:>9.3f}"
        )


def failures(results: dict) -> list[str]:
    """F1 under the goal, or further below the stronger baseline's than the margin."""
    if "create_time" not in results:
        return []
    problems = []
    baseline = results["baselines"][results["baseline"]]["f1"]
    for name in ("create_time", "listing"):
        f1 = results[name]["f1"]
        if f1 < GOAL_F1 or f1 < baseline - BASELINE_MARGIN:
            problems.append(f"duplicates: {name} F1 {f1} (goal {GOAL_F1}, baseline {baseline})")
    return problems


def main() -> int:
    results = measure()
    report(results)
    for problem in failures(results):
        print(problem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
