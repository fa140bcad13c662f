import { formatEnumValue } from '../lib/format';

export function SeverityBadge({ severity }: { severity: string | null | undefined }) {
  if (!severity) return <span className="muted">—</span>;
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{formatEnumValue(status)}</span>;
}

/** Whether a rule or an endpoint is switched on. */
export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return (
    <span className={`badge ${enabled ? 'status-ACTIVE' : 'status-PAUSED'}`}>
      {enabled ? 'enabled' : 'disabled'}
    </span>
  );
}
