import { useState } from 'react';
import { graphql } from '../../api/graphql';
import { useSubscriptionEvents } from '../../hooks/use-subscription-events';

const ReasoningEvents = graphql(`
  subscription ReasoningEvents($analysisId: ID!) {
    analysisReasoning(analysisId: $analysisId) {
      type
      text
      attempt
      node
      status
    }
  }
`);

const RUNNING = new Set(['QUEUED', 'RUNNING']);

/**
 * The model's reasoning. While the analysis runs it streams in from `analysisReasoning`; a new
 * attempt (a retry on another node) starts the text afresh, as the model starts afresh.
 */
export function ReasoningPanel({
  analysisId,
  status,
  reasoning,
  onFinished,
}: {
  analysisId: string;
  status: string;
  reasoning: string;
  onFinished?: () => void;
}) {
  const running = RUNNING.has(status);
  const [live, setLive] = useState<{ text: string; attempt: number | null; node: string | null }>({
    text: '',
    attempt: null,
    node: null,
  });
  useSubscriptionEvents(
    ReasoningEvents,
    { analysisId },
    (data) => {
      const event = data.analysisReasoning;
      if (event.type === 'attempt')
        setLive({ text: '', attempt: event.attempt ?? null, node: event.node ?? null });
      else if (event.type === 'delta')
        setLive((current) => ({ ...current, text: current.text + (event.text ?? '') }));
      else if (event.type === 'end') onFinished?.();
    },
    { pause: !running },
  );
  const text = running ? live.text : reasoning;
  return (
    <section aria-labelledby={`reasoning-${analysisId}`}>
      <h3 id={`reasoning-${analysisId}`}>
        Model reasoning{' '}
        {running && (
          <span className="muted" role="status">
            (streaming{live.node ? ` from ${live.node}` : ''}
            {live.attempt && live.attempt > 1 ? `, attempt ${live.attempt}` : ''}…)
          </span>
        )}
      </h3>
      <pre className="reasoning" aria-live={running ? 'polite' : 'off'}>
        {text ||
          (running
            ? 'Waiting for the model…'
            : 'No reasoning: this analysis was made by the local detector or had none.')}
      </pre>
    </section>
  );
}
