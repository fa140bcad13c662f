import { formatTime } from '../../lib/format';
import { ReasoningPanel } from './reasoning-panel';

export interface RunningAnalysis {
  id: string;
  status: string;
  startedAt: string;
  mode?: string;
  model?: string | null;
}

/**
 * The analysis a stream's worker is running now, with the model's reasoning streaming in; gone
 * when it ends (`onFinished` lets the page refresh what the result changed).
 */
export function RunningAnalysisPanel({
  analysis,
  onFinished,
}: {
  analysis: RunningAnalysis | undefined;
  onFinished: () => void;
}) {
  if (!analysis) return null;
  return (
    <section className="card" aria-label="Analysing now">
      <h2>Analysing now</h2>
      <p className="muted">
        Window analysis started {formatTime(analysis.startedAt)}
        {analysis.model ? ` on ${analysis.model}` : ''}.
      </p>
      {analysis.mode === 'LOCAL' ? (
        // The local analyser has no reasoning to stream: its trace comes with the result.
        <p className="muted">Analysed locally (motion, objects, tracks, zones): no model is reasoning.</p>
      ) : (
        <ReasoningPanel
          key={analysis.id}
          analysisId={analysis.id}
          status={analysis.status}
          reasoning=""
          onFinished={onFinished}
        />
      )}
    </section>
  );
}
