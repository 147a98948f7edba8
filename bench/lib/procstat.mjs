// /proc readers shared by the runner and the load generator (Linux only; null elsewhere).
import fs from 'node:fs';

/** CPU seconds (user, sys) of one process, all its threads included. */
export function processCpu(pid, clkTck) {
  if (!pid) return null;
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / clkTck, sys: Number(f[12]) / clkTck };
  } catch {
    return null;
  }
}

/**
 * CPU seconds used so far by every user-space process except `exclude` (reaped children's time
 * included, so a process that ends inside a window is still seen). Kernel threads are left out:
 * ksoftirqd & co. do the benchmark's own network work.
 */
export function foreignCpu(exclude, clkTck) {
  let dirs;
  try {
    dirs = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  for (const d of dirs) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(d);
    if (pid === 2 || exclude.includes(pid)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (f[1] === '2') continue;
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* exited meanwhile */
    }
  }
  return ticks / clkTck;
}

/** Busy and total jiffies of one CPU from /proc/stat (busy includes irq and softirq time). */
export function coreTicks(cpu) {
  if (cpu === undefined || cpu === null) return null;
  try {
    const line = fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((x, y) => x + y, 0);
    return { busy: total - v[3] - v[4], total };
  } catch {
    return null;
  }
}
