/** The severity scale of anomalies, incidents and alerts, lowest first. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Whether a firing on `window` belongs to the open incident (the same event) rather than a new one:
 * its window overlaps or follows on the incident's last window, or it fired within the rule's
 * cooldown of the incident's last firing. Times are the windows' own (not the wall clock), so a
 * backtest and the live engine stitch alike.
 */
export function stitchesInto(
  incident: { endAt: Date; lastFiredAt: Date },
  window: { startAt: Date; endAt: Date },
  cooldownSeconds: number,
): boolean {
  if (window.startAt.getTime() <= incident.endAt.getTime()) return true;
  return window.endAt.getTime() - incident.lastFiredAt.getTime() <= cooldownSeconds * 1000;
}

const RANK = new Map<string, number>(SEVERITIES.map((name, rank) => [name, rank]));

/** The higher of two severities (either may be missing). */
export function maxSeverity(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return (RANK.get(b) ?? -1) > (RANK.get(a) ?? -1) ? b : a;
}

export function severityName(rank: number): string {
  return SEVERITIES[Math.max(0, Math.min(SEVERITIES.length - 1, rank))]!;
}
