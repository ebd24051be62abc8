"""How well a measurement picks its own best plan again: the ceiling that run-to-run noise puts on the
recommendation's hit rate (issue 11's "within 5 % of the measured best").

A predictor is judged against one run's measured best plan. If the same harness on the same machine does not
agree with itself about that best plan, no predictor can be right more often than the measurements agree. This
script asks the measurements directly, with no prediction involved:

* **split-half, within a run**: each plan's passes are split into two halves (odd and even passes; a run needs
  at least 2 passes). The best plan of one half is judged by the other half: its regret there (its makespan over
  the other half's best, less 1). Both directions are counted.
* **across runs** (two or more files of the same runtime, given together): the best plan of run A judged by run
  B, for every ordered pair of runs and every scenario and plan both have.

Plans are matched by label, thread split and host (bench/web's runs have the same format); a scenario's figures are the medians of its timed rounds (per half:
of the rounds of that half's passes). Prints, per comparison, how many scenarios' "best" stays within 5 % (and
15 %) in the other measurement, with the regrets of those that do not; then the totals.

    python3 repeatability.py results/pytorch-zen3-vm-s22.json results/pytorch-zen3-vm-s22b.json

Standard library only (no venv needed).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys

# Issue 11's criterion: picks within 5 % of the measured best, none more than 15 % worse.
THRESHOLDS = (0.05, 0.15)


def plan_key(plan: dict) -> tuple:
    """A plan by label, thread split and (onnxruntime-web) host layout."""
    return plan["plan"], tuple(plan.get("threads") or ()), plan.get("host", "")


def rounds(plan: dict, passes: list[int] | None = None) -> list[float]:
    """The timed rounds' makespans (ms) of `plan`, of the given passes (all when None)."""
    chosen = plan["passes"] if passes is None else [plan["passes"][i] for i in passes]
    return [ms for p in chosen for ms in p["makespanMs"]]


def medians(scenario: dict, passes: list[int] | None = None) -> dict[tuple, float]:
    """Median makespan (ms) of every plan of `scenario`, over the given passes."""
    out = {}
    for plan in scenario["plans"]:
        ms = rounds(plan, passes)
        if ms:
            out[plan_key(plan)] = statistics.median(ms)
    return out


def regret(pick_from: dict[tuple, float], judge: dict[tuple, float]) -> float | None:
    """The regret, in `judge`, of the plan that is best in `pick_from` (plans both have)."""
    common = [k for k in pick_from if k in judge]
    if len(common) < 2:
        return None
    pick = min(common, key=lambda k: (pick_from[k], k))
    best = min(judge[k] for k in common)
    return judge[pick] / best - 1.0


class Tally:
    def __init__(self, name: str):
        self.name = name
        self.regrets: list[tuple[str, float]] = []

    def add(self, scenario: str, r: float | None) -> None:
        if r is not None:
            self.regrets.append((scenario, r))

    def line(self) -> str:
        n = len(self.regrets)
        if n == 0:
            return f"{self.name}: no comparable scenarios"
        within = [sum(r <= t + 1e-12 for _, r in self.regrets) for t in THRESHOLDS]
        worst = sorted(self.regrets, key=lambda x: -x[1])
        misses = ", ".join(f"{s} {r * 100:.1f} %" for s, r in worst if r > THRESHOLDS[0])
        mean = sum(r for _, r in self.regrets) / n
        return (
            f"{self.name}: best again within 5 %: {within[0]} of {n}, within 15 %: {within[1]} of {n}; "
            f"regret mean {mean * 100:.1f} %, max {worst[0][1] * 100:.1f} %"
            + (f"; over 5 %: {misses}" if misses else "")
        )


def split_half(run: dict, name: str) -> Tally:
    tally = Tally(f"{name}, split-half (odd passes against even)")
    for s in run["scenarios"]:
        n = min((len(p["passes"]) for p in s["plans"]), default=0)
        if n < 2:
            continue
        odd, even = list(range(0, n, 2)), list(range(1, n, 2))
        a, b = medians(s, odd), medians(s, even)
        tally.add(s["name"], regret(a, b))
        tally.add(s["name"], regret(b, a))
    return tally


def across(runs: list[tuple[str, dict]]) -> Tally:
    tally = Tally("across runs (each run's best judged by each other run)")
    for (na, ra), (nb, rb) in itertools.permutations(runs, 2):
        by_name = {s["name"]: s for s in rb["scenarios"]}
        for s in ra["scenarios"]:
            other = by_name.get(s["name"])
            if other is not None and s["models"] == other["models"]:
                tally.add(f"{s['name']} ({na} -> {nb})", regret(medians(s), medians(other)))
    return tally


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="run.py (or bench/web run.mjs) results files, one runtime")
    args = ap.parse_args(argv)
    runs = []
    for path in args.runs:
        with open(path) as f:
            runs.append((path.rsplit("/", 1)[-1].removesuffix(".json"), json.load(f)))
    tallies = [split_half(run, name) for name, run in runs]
    if len(runs) > 1:
        tallies.append(across(runs))
    for t in tallies:
        print(t.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
