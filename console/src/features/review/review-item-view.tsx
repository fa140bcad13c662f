import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { QueryState } from '../../components/states';
import { useKeyboardShortcuts } from '../../hooks/use-keyboard-shortcuts';
import { useNow } from '../../hooks/use-now';
import { formatCountdown, formatEnumValue, formatTime } from '../../lib/format';
import { asResult } from '../analysis/analysis-result';
import { Findings } from '../analysis/findings';
import { FrameViewer } from '../analysis/frame-viewer';
import { ReasoningPanel } from '../analysis/reasoning-panel';
import { RunningAnalysisPanel } from '../analysis/running-analysis-panel';
import { draftOf } from '../scenes/scene-draft';
import { useAnalysisScene } from '../scenes/use-stream-scene';
import { useRunningAnalysis } from '../streams/use-running-analysis';
import {
  DECISION_KEYS,
  DECISION_LABELS,
  DEFAULT_REASONS,
  isClaimable,
  type ModeratorDecision,
} from './decisions';
import { useClaimNextReviewItem } from './use-claim-next-review-item';
import { useClaimReviewItem } from './use-claim-review-item';
import { useDecideReviewItem } from './use-decide-review-item';
import { useReviewEvidence, type ReviewItem } from './use-review-item';

/**
 * A review item at work: its keyframes with boxes and the model's reasoning, the decision form
 * (keyboard first), the findings and the rule that fired; the analysis running on its stream now
 * streams in below the evidence (a firing may join this incident).
 */
export function ReviewItemView({ item, refetch }: { item: ReviewItem; refetch: () => void }) {
  const { user } = useSignedIn();
  const navigate = useNavigate();
  const now = useNow();
  const { claim: claimItem, claiming } = useClaimReviewItem();
  const claimNext = useClaimNextReviewItem();
  const { decide: decideItem, deciding } = useDecideReviewItem();
  const [reason, setReason] = useState('');
  const [notes, setNotes] = useState('');
  const [thenNext, setThenNext] = useState(true);
  const evidence = useReviewEvidence(item.incidentId, item.ruleId);
  const running = useRunningAnalysis(item.streamId);
  const mine = item.status === 'CLAIMED' && item.assigneeId === user.id;
  const canWork = can.moderate(user.role);

  const incident = evidence.incident;
  const firings = useMemo(
    () => [...(incident?.evidence.edges ?? [])].map((edge) => edge.node).reverse(),
    [incident],
  );
  const analyses = useMemo(
    () => firings.flatMap((firing) => (firing.analysis ? [firing.analysis] : [])),
    [firings],
  );
  const [analysisIndex, setAnalysisIndex] = useState(0);
  const analysis = analyses[Math.min(analysisIndex, analyses.length - 1)];
  const windowOf = (windowId: string | undefined) =>
    firings.find((firing) => firing.window?.id === windowId)?.window ?? undefined;
  const window = windowOf(analysis?.windowId);
  const result = asResult(analysis?.result);
  // The zones and lines the analyser applied to this window; the current ones if it recorded none.
  const sceneVersion = typeof result?.sceneVersion === 'number' ? result.sceneVersion : null;
  const scene = useAnalysisScene(item.streamId, sceneVersion);
  const regions = useMemo(() => (scene ? draftOf(scene) : []), [scene]);

  useEffect(() => {
    document.title = `Review: ${item.summary} · Vigil`;
  }, [item.summary]);

  async function claim() {
    if (await claimItem(item.id)) refetch();
  }

  async function decide(decision: ModeratorDecision, next: boolean) {
    if (!mine || deciding) return;
    const decided = await decideItem(
      item.id,
      decision,
      reason.trim() || DEFAULT_REASONS[decision],
      notes.trim(),
    );
    if (!decided) return;
    if (next) {
      const nextItem = await claimNext(item.queue);
      if (nextItem) {
        navigate(`/review/${nextItem.id}`);
        return;
      }
    }
    navigate('/queue');
  }

  useKeyboardShortcuts({
    c: () => isClaimable(item.status) && void claim(),
    ...Object.fromEntries(
      DECISION_KEYS.map(([key, decision]) => [
        key,
        (event: KeyboardEvent) => void decide(decision, event.shiftKey || thenNext),
      ]),
    ),
  });

  const deadline = item.status === 'CLAIMED' ? item.decideDueAt : item.claimDueAt;
  return (
    <>
      <div className="toolbar">
        <h1 id="item-title">{item.summary}</h1>
        <SeverityBadge severity={item.severity} />
        <StatusBadge status={mine ? 'CLAIMED by you' : item.status} />
        {deadline && item.status !== 'RESOLVED' && (
          <span className={Date.parse(deadline) < now ? 'overdue' : 'muted'}>
            {item.status === 'CLAIMED' ? 'Decide within' : 'Claim within'}{' '}
            {formatCountdown(Date.parse(deadline) - now)}
          </span>
        )}
      </div>
      <p className="muted">
        Stream <Link to={`/streams/${item.streamId}`}>{item.streamName}</Link> · queue {item.queue} · priority{' '}
        {item.priority} · created {formatTime(item.createdAt)}
      </p>
      <div className="grid-2">
        <div className="column">
          <div className="card">
            <h2>Keyframes</h2>
            {analyses.length > 1 && (
              <div className="toolbar" role="group" aria-label="Analyses of this incident">
                {analyses.map((candidate, i) => (
                  <button
                    key={candidate.id}
                    type="button"
                    aria-pressed={i === analysisIndex}
                    onClick={() => setAnalysisIndex(i)}
                  >
                    Window {windowOf(candidate.windowId)?.index ?? '?'} ({formatEnumValue(candidate.mode)})
                  </button>
                ))}
              </div>
            )}
            <QueryState
              fetching={evidence.fetching}
              error={evidence.error}
              data={incident}
              retry={evidence.retry}
            >
              {() => (
                <FrameViewer
                  key={analysis?.id}
                  frames={window?.frames ?? []}
                  objects={result?.objects ?? []}
                  regions={regions}
                />
              )}
            </QueryState>
            {regions.length > 0 && (
              <p className="muted small" data-testid="scene-caption">
                {sceneVersion !== null
                  ? `Zones and lines as analysed (version ${sceneVersion})`
                  : `The stream’s current zones and lines (version ${scene?.version})`}
              </p>
            )}
            {/* A local analysis has no model reasoning: its trace is under Findings, "Local analysis". */}
            {analysis && analysis.mode !== 'LOCAL' && (
              <ReasoningPanel
                key={analysis.id}
                analysisId={analysis.id}
                status={analysis.status}
                reasoning={analysis.reasoning}
                onFinished={evidence.refresh}
              />
            )}
          </div>
          <RunningAnalysisPanel
            analysis={running.analysis}
            onFinished={() => {
              running.refresh();
              evidence.refresh();
            }}
          />
        </div>
        <div className="column">
          <div className="card" aria-labelledby="decision-title">
            <h2 id="decision-title">Decision</h2>
            {item.status === 'RESOLVED' ? (
              <p>
                Resolved: <strong>{item.decision}</strong> at {formatTime(item.decidedAt)} — {item.reason}
                {item.notes ? ` (${item.notes})` : ''}
              </p>
            ) : !canWork ? (
              <p className="muted">Your role reads review items; it does not decide them.</p>
            ) : !mine ? (
              <div>
                <p className="muted">
                  {item.status === 'CLAIMED'
                    ? 'Another moderator holds this item.'
                    : 'Claim the item to decide it.'}
                </p>
                <button
                  type="button"
                  className="primary"
                  onClick={() => void claim()}
                  disabled={!isClaimable(item.status) || claiming}
                >
                  Claim <kbd>C</kbd>
                </button>
              </div>
            ) : (
              <form
                onSubmit={(event) => event.preventDefault()}
                style={{ display: 'flex', flexDirection: 'column', gap: '0.6rem' }}
              >
                <label>
                  Reason (for the audit log; a default is used when empty)
                  <input
                    value={reason}
                    onChange={(e) => setReason(e.target.value)}
                    placeholder="Why this decision"
                  />
                </label>
                <label>
                  Notes
                  <textarea rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />
                </label>
                <label className="inline">
                  <input type="checkbox" checked={thenNext} onChange={(e) => setThenNext(e.target.checked)} />
                  Submit and next: claim the queue’s next item after deciding
                </label>
                <div className="decision-buttons">
                  {DECISION_KEYS.map(([key, decision]) => (
                    <button
                      key={decision}
                      type="button"
                      className={
                        decision === 'DISMISS' ? 'primary' : decision === 'STOP_STREAM' ? 'danger' : ''
                      }
                      disabled={deciding}
                      aria-keyshortcuts={key.toUpperCase()}
                      onClick={() => void decide(decision, thenNext)}
                    >
                      {DECISION_LABELS[decision]} <kbd>{key.toUpperCase()}</kbd>
                    </button>
                  ))}
                </div>
                <p className="muted">
                  Keys work anywhere outside the text fields; <kbd>Shift</kbd>+key always moves on to the next
                  item.
                </p>
              </form>
            )}
          </div>
          <div className="card">
            <h2>Findings</h2>
            {analysis && (
              <p className="muted">
                {analysis.mode === 'LOCAL'
                  ? 'Local detector'
                  : `${analysis.model ?? 'model'} on ${analysis.nodeName ?? 'a GPU node'}`}{' '}
                · {formatEnumValue(analysis.status)} ·{' '}
                {formatTime(analysis.completedAt ?? analysis.startedAt)}
              </p>
            )}
            <Findings result={result} />
          </div>
          <div className="card">
            <h2>Rule that fired</h2>
            {evidence.rule ? (
              <>
                <p>
                  <strong>{evidence.rule.name}</strong> · {incident?.firings ?? 0} firing(s) from{' '}
                  {formatTime(incident?.startAt)} to {formatTime(incident?.endAt)}
                </p>
                <pre>{JSON.stringify(evidence.rule.condition, null, 2)}</pre>
              </>
            ) : (
              <p className="muted">{evidence.fetching ? 'Loading…' : 'The rule is no longer available.'}</p>
            )}
          </div>
        </div>
      </div>
    </>
  );
}
