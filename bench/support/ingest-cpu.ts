/**
 * CPU readings for the ingest benchmark, from Linux's /proc: the CPU time of given child processes
 * (ffmpeg samplers, which Node cannot measure for a running child) and of the whole machine (this
 * development machine is shared, so the load of others is printed beside our own figures).
 */
import { readFileSync } from 'node:fs';
import { clockTicksPerSecond } from './cpu-sampler';

/** utime + stime of a process (all its threads), in seconds; null once it has gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses; the fields after the last ')' do not.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) are utime and stime; rest[0] is field 3 (state).
    return (Number(rest[11]) + Number(rest[12])) / clockTicksPerSecond();
  } catch {
    return null;
  }
}

export interface MachineCpu {
  busy: number;
  total: number;
}

/** Busy and total jiffies of all cores together (first line of /proc/stat). */
export function machineCpu(): MachineCpu {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}

/** Share of all cores busy between two readings, 0..1. */
export function machineBusyShare(start: MachineCpu, end: MachineCpu): number {
  const total = end.total - start.total;
  return total > 0 ? (end.busy - start.busy) / total : 0;
}

/** This process's CPU seconds (all threads, libvips' included). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
