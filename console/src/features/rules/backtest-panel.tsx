import { useState, type FormEvent } from 'react';
import type { CombinedError } from 'urql';
import { describeError } from '../../api/errors';
import { Field, FieldErrors, fieldProblems } from '../../components/form-kit';
import { fromLocalInput, toLocalInput } from '../../lib/format';
import { BacktestResultView, type BacktestTarget as Target } from './backtest-result';
import { useBacktestRule, useBacktestStreams, type Backtest } from './use-rules';

/** Runs the saved rule or the current draft over a stream's stored results (changes nothing). */
export function BacktestPanel({
  ruleId,
  draft,
}: {
  ruleId: string | null;
  draft: () => {
    condition: Record<string, unknown>;
    action: Record<string, unknown>;
    cooldownSeconds?: number;
  } | null;
}) {
  const runBacktest = useBacktestRule();
  const { streams: streamList = [], fetching: streamsLoading, error: streamsError } = useBacktestStreams();
  const [streamId, setStreamId] = useState('');
  const [from, setFrom] = useState(() => toLocalInput(new Date(Date.now() - 3600_000)));
  const [to, setTo] = useState(() => toLocalInput(new Date(Date.now() + 60_000)));
  const [target, setTarget] = useState<Target>(ruleId ? 'saved' : 'draft');
  const [result, setResult] = useState<{ backtest: Backtest; target: Target; streamName: string } | null>(
    null,
  );
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState(false);
  const chosenStream = streamId || streamList[0]?.id || '';
  const problems = fieldProblems(error);
  const effectiveTarget: Target = ruleId ? target : 'draft';

  async function run(event: FormEvent) {
    event.preventDefault();
    let draftInput = null;
    if (effectiveTarget === 'draft') {
      draftInput = draft();
      if (!draftInput) return;
    }
    setBusy(true);
    const response = await runBacktest({
      input: {
        streamId: chosenStream,
        from: fromLocalInput(from),
        to: fromLocalInput(to),
        ...(effectiveTarget === 'saved' && ruleId ? { ruleId } : { draft: draftInput }),
      },
    });
    setBusy(false);
    setError(response.error ?? null);
    const backtest = response.data?.backtestRule;
    const streamName = streamList.find((stream) => stream.id === chosenStream)?.name ?? '';
    setResult(backtest ? { backtest, target: effectiveTarget, streamName } : null);
  }

  return (
    <section className="card" aria-labelledby="backtest-title">
      <h2 id="backtest-title">Backtest</h2>
      <p className="muted">
        What the rule would have fired on a stream’s stored results. Nothing is changed.
      </p>
      <form className="admin-form" onSubmit={run} noValidate aria-label="Backtest settings">
        <Field
          label="Stream"
          path="input.streamId"
          problems={problems}
          hint={
            streamsError
              ? `Streams could not be loaded: ${describeError(streamsError)}`
              : streamsLoading && streamList.length === 0
                ? 'Loading streams…'
                : streamList.length === 0
                  ? 'No streams yet'
                  : undefined
          }
        >
          <select value={chosenStream} onChange={(e) => setStreamId(e.target.value)}>
            {streamList.map((stream) => (
              <option key={stream.id} value={stream.id}>
                {stream.name} ({stream.status.toLowerCase()})
              </option>
            ))}
          </select>
        </Field>
        <div className="form-grid">
          <Field label="From" path="input.from" problems={problems}>
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </Field>
          <Field label="To" path="input.to" problems={problems}>
            <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </Field>
        </div>
        <fieldset>
          <legend>Rule to test</legend>
          <label className="inline">
            <input
              type="radio"
              name="backtest-target"
              value="saved"
              checked={effectiveTarget === 'saved'}
              disabled={!ruleId}
              onChange={() => setTarget('saved')}
            />
            The saved rule{!ruleId && ' (not saved yet)'}
          </label>
          <label className="inline">
            <input
              type="radio"
              name="backtest-target"
              value="draft"
              checked={effectiveTarget === 'draft'}
              onChange={() => setTarget('draft')}
            />
            The current draft (condition, action and cooldown as edited)
          </label>
        </fieldset>
        <FieldErrors problems={problems} path="input.draft" showPaths />
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy || !chosenStream}>
            {busy ? 'Running…' : 'Run backtest'}
          </button>
        </div>
      </form>
      <div
        role="region"
        aria-label="Backtest result"
        aria-live="polite"
        aria-busy={busy}
        className="backtest-result"
      >
        {error && (
          <p className="error-text" role="alert">
            Backtest failed: {describeError(error)}
          </p>
        )}
        {result ? (
          <BacktestResultView {...result} />
        ) : (
          !error && <p className="state empty">Choose a stream and a time range, then run the backtest.</p>
        )}
      </div>
    </section>
  );
}
