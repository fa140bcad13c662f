import { formatTime } from '../../hooks/use-now';

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

/** A time shown in the viewer's locale, with the exact ISO instant as machine-readable value and tooltip. */
export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)}
    </time>
  );
}

/** The first 12 hex digits: enough to tell events apart on screen; the full hash is in its title. */
export function HashPrefix({ hash }: { hash: string | null | undefined }) {
  if (!hash) return <span className="muted">—</span>;
  return (
    <code className="mono" title={hash}>
      {hash.slice(0, 12)}…
    </code>
  );
}
