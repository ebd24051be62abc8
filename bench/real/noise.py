"""How much CPU time others took while a plan ran: the harness's own processes versus the whole machine.

Linux only (/proc); elsewhere every figure is None. `foreignCpu` is the fraction of all cores' time spent by
processes other than the harness (a compiler, a browser...) and `stealCpu` the fraction the hypervisor gave to
other VMs; a plan measured with more than a few percent of either is contaminated.
"""

from __future__ import annotations

import os
import time

_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine() -> tuple | None:
    """(busy ticks without steal, steal ticks) of all CPUs, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq, steal


def _own(pids) -> int:
    """utime + stime ticks of the given processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total


class Meter:
    """Snapshot at creation; `read()` gives the foreign and steal CPU fractions since then."""

    def __init__(self, pids):
        self.pids = list(pids)
        self.t0, self.m0, self.o0 = time.monotonic(), _machine(), _own(self.pids)

    def read(self) -> dict:
        m1, o1 = _machine(), _own(self.pids)
        wall = (time.monotonic() - self.t0) * _TICK * (os.cpu_count() or 1)
        if self.m0 is None or m1 is None or wall <= 0:
            return {"foreignCpu": None, "stealCpu": None}
        foreign = (m1[0] - self.m0[0]) - (o1 - self.o0)
        return {"foreignCpu": round(max(foreign, 0) / wall, 3), "stealCpu": round((m1[1] - self.m0[1]) / wall, 3)}
