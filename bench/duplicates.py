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
- baseline: recordlinkage's ECM classifier (unsupervised Fellegi-Sunter, EM on binary agreement
  vectors, its own blocking over the whole file), the `bench` extra of pyproject.toml.
Recall is also shown per corruption kind (a pair counts for every kind its duplicate carries). Pure
computation: no table, no AWS. Goal: F1 >= 0.97 for both, and no more than 0.02 below the baseline.
"""

from __future__ import annotations

import sys

PEOPLE, DUPLICATES, SEED = 3000, 0.2, 17  # never the seed the weights were fitted on (cis_local.linkage.FIT_SEED)
GOAL_F1, BASELINE_MARGIN = 0.97, 0.02


def _figures(quality) -> dict:
    return {"precision": round(quality.precision, 3), "recall": round(quality.recall, 3), "f1": round(quality.f1, 3)}


def measure() -> dict:
    from cis.domain.matching import LIKELY, LISTED
    from cis_local.linkage import baseline, population, quality, scored_candidates

    people = population(PEOPLE, DUPLICATES, seed=SEED)
    scored, compared = scored_candidates(people)
    found = {"create_time": quality(people, scored, LIKELY), "listing": quality(people, scored, LISTED)}
    offline = baseline(people)
    kinds = sorted(found["create_time"].per_kind)

    alone = population(PEOPLE, DUPLICATES, seed=SEED, households=0)  # the same, no one living with anyone
    alone_scored, _ = scored_candidates(alone)

    def recall(quality, kind: str) -> float:
        hits, pairs = quality.per_kind[kind]
        return round(hits / pairs, 3)

    return {
        "people": PEOPLE,
        "records": len(people.records),
        "true_pairs": len(people.true_pairs()),
        "pairs_compared": compared,
        "pairs_compared_per_record": round(compared / len(people.records), 2),
        "create_time": {"threshold": LIKELY, **_figures(found["create_time"])},
        "listing": {"threshold": LISTED, **_figures(found["listing"])},
        "baseline": {"pairs_compared": offline.compared, **_figures(offline)},
        "without_households": {
            "create_time_f1": round(quality(alone, alone_scored, LIKELY).f1, 3),
            "listing_f1": round(quality(alone, alone_scored, LISTED).f1, 3),
            "baseline_f1": round(baseline(alone).f1, 3),
        },
        "recall_by_kind": {
            kind: {
                "pairs": found["create_time"].per_kind[kind][1],
                "create_time": round(
                    found["create_time"].per_kind[kind][0] / found["create_time"].per_kind[kind][1], 3
                ),
                "listing": round(found["listing"].per_kind[kind][0] / found["listing"].per_kind[kind][1], 3),
                "baseline": round(offline.per_kind[kind][0] / offline.per_kind[kind][1], 3),
            }
            for kind in kinds
        },
    }


def _report_before_issue_17(results: dict) -> None:
    """The figures of the matcher before issue 17 (another population, no F1), until they are measured again."""
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


def report(results: dict) -> None:
    if "create_time" not in results:
        _report_before_issue_17(results)
        return
    print(
        f"Duplicate detection on generated people (cis_local.linkage): {results['people']:,} people, "
        f"{results['records']:,} records, {results['true_pairs']:,} true pairs"
    )
    rows = [
        ("create time", f"score >= {results['create_time']['threshold']}", results["create_time"]),
        ("listing", f"score >= {results['listing']['threshold']}", results["listing"]),
        ("baseline (ECM)", "recordlinkage", results["baseline"]),
    ]
    for label, rule, found in rows:
        print(
            f"  {label:<15} {rule:<14} precision {found['precision']:.3f}  recall {found['recall']:.3f}  "
            f"F1 {found['f1']:.3f}"
        )
    print(
        f"  pairs compared: {results['pairs_compared']:,}, {results['pairs_compared_per_record']:.2f} per record "
        f"(blocking, never the whole base); baseline {results['baseline']['pairs_compared']:,}"
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
    """F1 under the goal, or further below the baseline's than the margin."""
    if "create_time" not in results:
        return []
    problems = []
    for name in ("create_time", "listing"):
        f1, baseline = results[name]["f1"], results["baseline"]["f1"]
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
