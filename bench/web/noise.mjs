// How much CPU others took while a plan ran (as bench/real/noise.py): all cores' busy time from /proc/stat
// minus the CPU time of this node process and its descendants (the browser and its renderer, where every ORT
// thread lives). `foreignCpu` is the fraction of all cores' time others took, `stealCpu` the hypervisor's.
// Linux only; elsewhere both are null.
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';

const TICK_HZ = 100; // USER_HZ on Linux

function machine() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = [...f, 0, 0, 0, 0, 0, 0, 0, 0];
    return { busy: user + nice + system + irq + softirq, steal };
  } catch {
    return null;
  }
}

function stat(pid) {
  try {
    const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop().trim().split(/\s+/);
    return { ppid: Number(after[1]), ticks: Number(after[11]) + Number(after[12]) };
  } catch {
    return null;
  }
}

/** This process and every descendant. */
export function ownPids() {
  let all;
  try {
    all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  } catch {
    return [process.pid];
  }
  const parent = new Map(all.map((p) => [p, stat(p)?.ppid]));
  const own = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of parent) if (!own.has(p) && own.has(pp)) { own.add(p); grew = true; }
  }
  return [...own];
}

const ownTicks = (pids) => pids.reduce((sum, p) => sum + (stat(p)?.ticks ?? 0), 0);

/** Snapshot now; `read()` gives {foreignCpu, stealCpu} since then. */
export function meter(pids = ownPids()) {
  const t0 = performance.now();
  const m0 = machine();
  const o0 = ownTicks(pids);
  return {
    read() {
      const m1 = machine();
      const o1 = ownTicks(pids);
      const wall = ((performance.now() - t0) / 1000) * TICK_HZ * cpus().length;
      if (!m0 || !m1 || wall <= 0) return { foreignCpu: null, stealCpu: null };
      const foreign = Math.max(m1.busy - m0.busy - (o1 - o0), 0) / wall;
      return { foreignCpu: round(foreign, 3), stealCpu: round((m1.steal - m0.steal) / wall, 3) };
    },
  };
}

/** The 1-minute load average. */
export function loadAvg1m() {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}

export const round = (x, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Waits until others take at most `threshold` of the CPU over a 1 s window, at most `maxWaitS` seconds;
 * resolves to {quiet, waitedS, foreignCpu} (the last window's share). */
export async function waitQuiet(threshold, maxWaitS, pids = ownPids()) {
  const t0 = performance.now();
  for (;;) {
    const m = meter(pids);
    await new Promise((ok) => setTimeout(ok, 1000));
    const { foreignCpu } = m.read();
    const waitedS = round((performance.now() - t0) / 1000, 1);
    if (foreignCpu === null || foreignCpu <= threshold || waitedS >= maxWaitS) {
      return { quiet: foreignCpu === null || foreignCpu <= threshold, waitedS, foreignCpu };
    }
  }
}
