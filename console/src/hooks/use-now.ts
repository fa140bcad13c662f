import { useEffect, useState } from 'react';

/** The current time, refreshed every `intervalMs`: one timer per view, for countdowns. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "2m 05s", "-0m 12s" (overdue). */
export function formatCountdown(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const total = Math.floor(Math.abs(ms) / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return `${sign}${minutes}m ${seconds}s`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return date.toLocaleString(undefined, { hour12: false });
}

/** Wall-clock time with milliseconds: frames a few hundred ms apart must be told apart. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return `${date.toLocaleTimeString(undefined, { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** A datetime-local input's value (local time, to the minute) for an instant; '' when invalid. */
export function toLocalInput(value: Date | string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (part: number) => String(part).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The ISO instant of a datetime-local value (read as local time); undefined when empty or invalid.
 * With `endOfMinute`, "to 14:23" means up to the end of that minute (the input has no seconds).
 */
export function fromLocalInput(value: string, endOfMinute = false): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  if (endOfMinute && date.getSeconds() === 0) date.setSeconds(59, 999);
  return date.toISOString();
}
