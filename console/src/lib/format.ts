/**
 * How the console writes values for people: times in the viewer's locale, durations, shares,
 * enum values, hashes and JSON. Every screen formats through these, so one value reads the same
 * everywhere.
 */

const NONE = '—';

/** A date and time in the viewer's locale, 24-hour; '—' when there is none. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return NONE;
  const date = new Date(iso);
  return date.toLocaleString(undefined, { hour12: false });
}

/** Wall-clock time with milliseconds: frames a few hundred ms apart must be told apart. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  return `${date.toLocaleTimeString(undefined, { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * Time left, never negative: "34 s" under a minute, "4m 12s", "1h 05m" from an hour. What is past
 * due is said in words instead (formatOverdue), so a countdown never reads "-0m 34s".
 */
export function formatCountdown(ms: number): string {
  return formatDuration(Math.max(0, ms));
}

/** How long ago a deadline passed, in words: "overdue 34 s", "overdue 4m 12s". */
export function formatOverdue(msPast: number): string {
  return `overdue ${formatDuration(Math.max(0, msPast))}`;
}

function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  if (total < 60) return `${total} s`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** "60 s": a setting kept in seconds, shown as set. */
export function formatSeconds(seconds: number): string {
  return `${seconds} s`;
}

/** "5 min" for whole minutes, else "90 s". */
export function formatMinutesOrSeconds(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : formatSeconds(seconds);
}

/** "2300 ms". */
export function formatMilliseconds(ms: number): string {
  return `${ms} ms`;
}

/** A share from 0 to 1 as a whole percentage: "87%"; '—' when unknown. */
export function formatPercent(fraction: number | null | undefined): string {
  return typeof fraction === 'number' ? `${Math.round(fraction * 100)}%` : NONE;
}

/** An API enum value in running text: "CONFIRM_VIOLATION" reads "confirm violation". */
export function formatEnumValue(value: string): string {
  return value.toLowerCase().replace(/_/g, ' ');
}

/** The first 12 hex digits of a hash: enough to tell events apart on screen. */
export function formatHashPrefix(hash: string): string {
  return `${hash.slice(0, 12)}…`;
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

/** Lines up to this long keep a small object or array on one line (a box, a label with its count). */
const JSON_LINE = 120;

/**
 * Indented JSON like JSON.stringify(value, null, 2), except that an object or array whose compact
 * form fits on the line stays on one line: a result with dozens of boxes stays readable.
 */
export function formatJson(value: unknown, indent = '', prefix = 0): string {
  const compact = inlineJson(value);
  if (value === null || typeof value !== 'object' || indent.length + prefix + compact.length <= JSON_LINE)
    return compact;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + formatJson(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries
    .map(
      ([key, item]) =>
        `${inner}${JSON.stringify(key)}: ${formatJson(item, inner, JSON.stringify(key).length + 2)}`,
    )
    .join(',\n')}\n${indent}}`;
}

/** JSON on one line with a space after each comma and colon: `{ "label": "person", "count": 2 }`. */
function inlineJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(inlineJson).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([key, item]) => `${JSON.stringify(key)}: ${inlineJson(item)}`).join(', ')} }`;
}

/** JSON as typed into a form's text area: two-space indentation, `{}` for nothing. */
export function formatEditableJson(value: unknown): string {
  return JSON.stringify(value ?? {}, null, 2);
}
