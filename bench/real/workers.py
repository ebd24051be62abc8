"""Worker processes: each holds one or more models, loaded and warmed up once, and runs them on command.

Protocol over a duplex pipe (parent -> worker):

* ("run", [(slot, threads), ...], t_start): wait until the common start `t_start` (time.monotonic, which is
  system-wide on Linux, so every worker of a group starts at the same instant: a timed barrier), then run the
  listed models one after another; reply ("done", [(slot, start, end), ...]).
* ("stop",): exit.

On start-up a worker builds its models (and every ORT session) and replies ("ready", None), or ("error",
traceback). Workers load in parallel; the parent then warms every model up one at a time (WorkerPool.warm_up),
so that warm-up never oversubscribes the cores.
Workers ignore SIGINT (the parent cleans up), die with the parent (PR_SET_PDEATHSIG) and exit on pipe EOF.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import time
import traceback

LEAD_S = 0.010      # common start this far after the parent's send: a pipe message arrives in ~0.1 ms
SPIN_S = 0.002      # the last stretch before the start is busy-waited for a precise start
WARMUP_RUNS = 2     # untimed inferences per model and thread count after start-up


def _die_with_parent():
    """Linux: SIGKILL this process when the parent dies, so no worker outlives a killed harness."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
    except OSError:
        pass


def wait_until(t: float):
    """Sleeps, then spins, until time.monotonic() >= t."""
    ahead = t - time.monotonic()
    if ahead > SPIN_S:
        time.sleep(ahead - SPIN_S)
    while time.monotonic() < t:
        pass


class _Torch:
    """PyTorch side of a worker: set_num_threads before each model run when the count changes."""

    def __init__(self, entries, thread_counts):
        import torch
        import models

        torch.set_num_interop_threads(1)
        self.torch = torch
        self.runners = {slot: models.TorchRunner(e, models.SEED) for slot, e in entries.items()}

    def run(self, slot, threads):
        if self.torch.get_num_threads() != threads:
            self.torch.set_num_threads(threads)
        self.runners[slot].run()


class _Ort:
    """ONNX Runtime side of a worker: one session set per thread count, all created at start-up."""

    def __init__(self, entries, thread_counts):
        import models

        self.runners = {slot: models.OrtRunner(e, thread_counts) for slot, e in entries.items()}

    def run(self, slot, threads):
        self.runners[slot].run(threads)


def worker_main(conn, runtime: str, entries: dict, thread_counts: list):
    """Entry point of a worker process; `entries` maps slot (model index) -> models.Entry."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    import models

    models.quiet_libraries()
    try:
        backend = (_Torch if runtime == "pytorch" else _Ort)(entries, thread_counts)
        conn.send(("ready", None))
    except Exception:  # noqa: BLE001 - reported to the parent, which raises
        conn.send(("error", traceback.format_exc()))
        return
    _serve(conn, backend)


def _serve(conn, backend):
    """Answers run commands until stop or EOF."""
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg[0] == "stop":
            return
        _, work, t_start = msg
        try:
            wait_until(t_start)
            done = []
            for slot, threads in work:
                start = time.monotonic()
                backend.run(slot, threads)
                done.append((slot, start, time.monotonic()))
            conn.send(("done", done))
        except Exception:  # noqa: BLE001
            conn.send(("error", traceback.format_exc()))
            return


class WorkerError(RuntimeError):
    """A worker failed; the message carries its traceback."""


class WorkerPool:
    """Worker processes of one scenario; a context manager that always ends every worker it started."""

    def __init__(self, runtime: str, entries: list, thread_counts: list, one_process: bool):
        self.runtime, self.entries, self.thread_counts = runtime, entries, thread_counts
        self.one_process = one_process
        self.procs, self.conns = {}, {}   # worker name -> Process / Connection

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        ctx = mp.get_context("spawn")
        layout = {f"model{i}": {i: e} for i, e in enumerate(self.entries)}
        if self.one_process:
            layout["all"] = dict(enumerate(self.entries))
        for name, entries in layout.items():
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, self.runtime, entries, self.thread_counts),
                               name=f"mmperf-{name}", daemon=True)
            proc.start()
            child.close()
            self.procs[name], self.conns[name] = proc, parent
        for name in layout:  # workers load and warm up in parallel; the measured rounds come later
            self._receive(name, "ready")

    def _receive(self, name, expected):
        conn, proc = self.conns[name], self.procs[name]
        while not conn.poll(1.0):
            if not proc.is_alive():
                raise WorkerError(f"worker {name} died (exit code {proc.exitcode}) before answering")
        try:
            kind, payload = conn.recv()
        except EOFError as exc:
            raise WorkerError(f"worker {name} closed its pipe (exit code {proc.exitcode})") from exc
        if kind == "error":
            raise WorkerError(f"worker {name} failed:\n{payload}")
        assert kind == expected, (kind, expected)
        return payload

    def warm_up(self, runs: int = WARMUP_RUNS):
        """Untimed runs of every model at every thread count, one model at a time (and the same in the worker
        that holds every model, when there is one)."""
        for threads in self.thread_counts:
            for slot in range(len(self.entries)):
                for _ in range(runs):
                    self.run_group({slot: threads})
                    if self.one_process:
                        self.run_group({slot: threads}, one_process=True)

    def pids(self) -> list:
        """This process and every worker: whose CPU time is ours (see noise.py)."""
        return [os.getpid()] + [p.pid for p in self.procs.values()]

    def run_group(self, work: dict, one_process: bool = False) -> tuple:
        """Runs {slot: threads} from a common start, each model in its own worker (or, with `one_process`,
        all of them back to back in the worker that holds every model); returns (t_start, [(slot, start, end)])."""
        t_start = time.monotonic() + LEAD_S
        if one_process:
            self.conns["all"].send(("run", list(work.items()), t_start))
            return t_start, self._receive("all", "done")
        for slot, threads in work.items():
            self.conns[f"model{slot}"].send(("run", [(slot, threads)], t_start))
        done = []
        for slot in work:
            done.extend(self._receive(f"model{slot}", "done"))
        return t_start, done

    def close(self):
        """Asks every worker to stop, then terminates and finally kills any that did not."""
        for conn in self.conns.values():
            try:
                conn.send(("stop",))
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 3.0
        for proc in self.procs.values():
            proc.join(max(deadline - time.monotonic(), 0.1))
        for proc in self.procs.values():
            if proc.is_alive():
                proc.terminate()
                proc.join(2.0)
            if proc.is_alive():
                proc.kill()
                proc.join()
        for conn in self.conns.values():
            conn.close()
        self.procs, self.conns = {}, {}
