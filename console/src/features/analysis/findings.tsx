import { SeverityBadge } from '../../components/badges';
import { formatPercent } from '../../lib/format';
import type { AnalysisResult } from './analysis-result';

/** Objects, actions, anomalies, the causal chain, root cause, verdict and confidence. */
export function Findings({ result }: { result: AnalysisResult | null }) {
  if (!result) return <p className="muted">No structured result yet.</p>;
  return (
    <div>
      <dl className="facts">
        <dt>Verdict</dt>
        <dd>
          <strong>{result.verdict ?? '—'}</strong>
        </dd>
        <dt>Confidence</dt>
        <dd>{formatPercent(result.confidence)}</dd>
        <dt>Root cause</dt>
        <dd>{result.rootCause || '—'}</dd>
      </dl>
      <h3>Objects</h3>
      {result.objects?.length ? (
        <ul>
          {result.objects.map((object, i) => (
            <li key={i}>
              {object.label} ×{object.count ?? object.boxes?.length ?? 1} ({formatPercent(object.confidence)})
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None</p>
      )}
      <h3>Actions</h3>
      {result.actions?.length ? (
        <ul>
          {result.actions.map((action, i) => (
            <li key={i}>
              {action.actor} {action.action} {action.target}{' '}
              <span className="muted">
                ({action.start}–{action.end})
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None</p>
      )}
      <h3>Anomalies</h3>
      {result.anomalies?.length ? (
        <ul>
          {result.anomalies.map((anomaly, i) => (
            <li key={i}>
              <SeverityBadge severity={anomaly.severity} /> <strong>{anomaly.type}</strong>:{' '}
              {anomaly.description}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None</p>
      )}
      <h3>Causal chain</h3>
      {result.causalChain?.length ? (
        <ol className="chain">
          {result.causalChain.map((link, i) => (
            <li key={i}>
              {typeof link === 'string'
                ? link
                : `${link.cause ?? '?'} → ${link.effect ?? '?'}${link.at ? ` (at ${link.at})` : ''}`}
            </li>
          ))}
        </ol>
      ) : (
        <p className="muted">None</p>
      )}
    </div>
  );
}
