import { SeverityBadge } from '../../components/badges';
import { formatClock, formatPercent } from '../../lib/format';
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
      {result.events?.length ? (
        <>
          <h3>Events</h3>
          <ul>
            {result.events.map((event) => (
              <li key={event.id}>
                <SeverityBadge severity={event.severity} /> <strong>{eventTitle(event)}</strong>{' '}
                <span className="muted">
                  {event.trackIds.map((id) => `#${id}`).join(', ')} at {formatClock(event.end)}
                </span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
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
      {result.trace?.length ? (
        <section aria-label="Local analysis">
          <h3>Local analysis</h3>
          <p className="muted">
            How Vigil&apos;s CPU analyser reached these findings from tracks and zones. No model reasoned
            here.
          </p>
          <ol className="trace">
            {result.trace.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ol>
        </section>
      ) : null}
    </div>
  );
}

type SceneEvent = NonNullable<AnalysisResult['events']>[number];

/** An event in a few words, e.g. `person enters "lawn"`, `loitering 25 s in "walkway"`. */
function eventTitle(event: SceneEvent): string {
  const zone = event.zone ? ` "${event.zone}"` : '';
  switch (event.type) {
    case 'dwell':
      return `${event.label} loitering ${event.seconds ?? ''} s in${zone}`;
    case 'crowd':
      return `crowd of ${event.count ?? '?'} in${zone}`;
    case 'crowd-end':
      return `crowd ended in${zone}`;
    case 'cross':
      return `${event.label} crosses${zone} (${event.direction ?? ''})`;
    case 'wrong-way':
      return `${event.label} crosses${zone} the wrong way`;
    case 'run':
      return `${event.label} runs${zone ? ` in${zone}` : ''} (${event.speed ?? '?'} heights/s)`;
    case 'left-behind':
      return `${event.label} left behind${zone ? ` in${zone}` : ''}`;
    default:
      return `${event.label} ${event.type}s${zone}`;
  }
}
