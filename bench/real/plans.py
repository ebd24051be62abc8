"""Execution plans of a scenario: which models run together and with how many threads each.

A plan is `groups` (lists of model indices; groups run one after another, the models inside a group start
together) and `threads` (one count per model). On N cores:

* sequential             each model its own group, N threads each.
* parallel               one group, N threads each (the naive default: every runtime takes every core).
* parallel-split         one group, threads split: 1 each when models >= N, else a split proportional to each
                         model's single-thread time (largest remainder, at least 1 each) that sums to N.
* batched                (3+ models) pairs: every way of cutting the models into pairs (and one single for an odd
                         count), each group split as in parallel-split; a single runs with N threads.
* sequential-one-process as sequential, but every model lives in ONE process and the models run back to back
                         there: ONNX Runtime's idle sessions keep their own intra-op pools alive (and spinning);
                         PyTorch's models share the process's one OpenMP pool.
* alone                  one model at t threads, t = 1..N, nothing else running (per-model accuracy check).
"""

from __future__ import annotations

import dataclasses

PLAN_NAMES = ("sequential", "parallel", "parallel-split", "batched", "sequential-one-process")


@dataclasses.dataclass(frozen=True)
class Plan:
    """One measured configuration."""

    plan: str
    groups: tuple
    threads: tuple
    one_process: bool = False
    alone: int | None = None    # model index for an alone measurement

    def label(self) -> str:
        if self.alone is not None:
            return f"alone m{self.alone} t{self.threads[self.alone]}"
        groups = "|".join(",".join(str(i) for i in g) for g in self.groups)
        return f"{self.plan} [{groups}] t{','.join(map(str, self.threads))}"


def split_threads(weights: list, cores: int) -> list:
    """Threads per model summing to `cores` (1 each when models >= cores), proportional to `weights`."""
    n = len(weights)
    if n >= cores:
        return [1] * n
    total = sum(weights) or 1.0
    spare = cores - n                       # everyone gets 1; the rest goes by share
    shares = [w / total * spare for w in weights]
    extra = [int(s) for s in shares]
    order = sorted(range(n), key=lambda i: shares[i] - extra[i], reverse=True)
    for i in order[: spare - sum(extra)]:
        extra[i] += 1
    return [1 + e for e in extra]


def pairings(indices: list) -> list:
    """Every partition of `indices` into pairs (plus one single when the count is odd)."""
    if len(indices) <= 2:
        return [[list(indices)]]
    out = []
    if len(indices) % 2:                    # odd: choose the single, pair the rest
        for single in indices:
            rest = [i for i in indices if i != single]
            out += [p + [[single]] for p in pairings(rest)]
        return out
    first = indices[0]
    for partner in indices[1:]:
        rest = [i for i in indices[1:] if i != partner]
        out += [[[first, partner]] + p for p in pairings(rest)]
    return out


def _grouped(name, groups, weights, cores, **kw) -> Plan:
    threads = [0] * len(weights)
    for group in groups:
        split = [cores] if len(group) == 1 else split_threads([weights[i] for i in group], cores)
        for i, t in zip(group, split):
            threads[i] = t
    return Plan(name, tuple(tuple(g) for g in groups), tuple(threads), **kw)


def scenario_plans(weights: list, cores: int, wanted=PLAN_NAMES) -> list:
    """The plans of a scenario with models of single-thread times `weights` (ms), filtered to `wanted`."""
    n = len(weights)
    idx = list(range(n))
    plans = [
        _grouped("sequential", [[i] for i in idx], weights, cores),
        Plan("parallel", (tuple(idx),), (cores,) * n),
        _grouped("parallel-split", [idx], weights, cores),
    ]
    if n >= 3:
        plans += [_grouped("batched", p, weights, cores) for p in pairings(idx)]
    plans.append(_grouped("sequential-one-process", [[i] for i in idx], weights, cores, one_process=True))
    return [p for p in plans if p.plan in wanted]


def alone_plans(n: int, cores: int) -> list:
    """Each model alone at 1..cores threads."""
    return [Plan("alone", ((i,),), tuple(t if j == i else 0 for j in range(n)), alone=i)
            for i in range(n) for t in range(1, cores + 1)]
