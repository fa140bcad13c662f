import { formatHashPrefix, formatJson, formatTime } from '../lib/format';

/** A time shown in the viewer's locale, with the exact ISO instant as machine-readable value and tooltip. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)}
    </time>
  );
}

/** The start of a hash, with the full hash in its title. */
export function HashPrefix({ hash }: { hash: string | null | undefined }) {
  if (!hash) return <span className="muted">—</span>;
  return (
    <code className="mono" title={hash}>
      {formatHashPrefix(hash)}
    </code>
  );
}

/** JSON for reading (a rule's condition, a result, an audit event's data). */
export function JsonBlock({ value }: { value: unknown }) {
  return <pre className="code-block">{formatJson(value)}</pre>;
}
