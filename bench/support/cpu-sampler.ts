/**
 * Where the CPU went during a measured run, read from Linux's /proc: the whole machine, and the
 * PostgreSQL and Redis server processes. (The server child and the load generator report their own
 * usage with process.cpuUsage().) Returns null where /proc is not available.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSnapshot {
  /** Busy and total jiffies of all cores together (first line of /proc/stat). */
  machineBusy: number;
  machineTotal: number;
  /** utime+stime jiffies per pid, per process name of interest. */
  byName: Record<string, Map<number, number>>;
}

const WATCHED = ['postgres', 'redis-server'];

let clockTicks: number | undefined;
/** Jiffies per second (CLK_TCK). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export function snapshotCpu(): CpuSnapshot | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const machineTotal = user + nice + system + idle + iowait + irq + softirq + steal;
    const byName: Record<string, Map<number, number>> = Object.fromEntries(
      WATCHED.map((name) => [name, new Map<number, number>()]),
    );
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(open + 1, close);
      const perPid = byName[name];
      if (!perPid) continue;
      // Fields after the name: state(3) ... utime(14) stime(15), so indexes 11 and 12 here.
      const rest = stat
        .slice(close + 2)
        .split(' ')
        .map(Number);
      perPid.set(Number(entry), (rest[11] ?? 0) + (rest[12] ?? 0));
    }
    return { machineBusy: machineTotal - idle - iowait, machineTotal, byName };
  } catch {
    return null;
  }
}

export interface CpuShares {
  /** Share of all cores busy, 0..1. */
  machine: number;
  /** CPU seconds per wall second (1 = one core fully busy) per watched process name. */
  byName: Record<string, number>;
}

export function cpuBetween(
  start: CpuSnapshot | null,
  end: CpuSnapshot | null,
  seconds: number,
): CpuShares | null {
  if (!start || !end || seconds <= 0) return null;
  const hz = clockTicksPerSecond();
  const byName: Record<string, number> = {};
  for (const name of WATCHED) {
    let jiffies = 0;
    for (const [pid, value] of end.byName[name] ?? new Map<number, number>()) {
      jiffies += value - (start.byName[name]?.get(pid) ?? 0);
    }
    byName[name] = jiffies / hz / seconds;
  }
  const total = end.machineTotal - start.machineTotal;
  return { machine: total > 0 ? (end.machineBusy - start.machineBusy) / total : 0, byName };
}
