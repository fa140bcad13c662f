import { useLiveReasoning } from './use-live-reasoning';

const RUNNING = new Set(['QUEUED', 'RUNNING']);

/**
 * The model's reasoning: the stored text once the analysis has finished, the live text while it
 * runs (see useLiveReasoning).
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
  const live = useLiveReasoning(analysisId, running, onFinished);
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
