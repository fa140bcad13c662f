import { IncidentClipPlayer } from '../evidence/incident-clip-player';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { can } from '../../auth/roles';
import { useSignedIn } from '../../auth/session';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { QueryState } from '../../components/states';
import { useKeyboardShortcuts } from '../../hooks/use-keyboard-shortcuts';
import { useNow } from '../../hooks/use-now';
import { formatClock, formatEnumValue, formatTime } from '../../lib/format';
import { asResult } from '../analysis/analysis-result';
import { Findings } from '../analysis/findings';
import { FrameViewer } from '../analysis/frame-viewer';
import { ReasoningPanel } from '../analysis/reasoning-panel';
import { RunningAnalysisPanel } from '../analysis/running-analysis-panel';
import { draftOf } from '../scenes/scene-draft';
import { useAnalysisScene } from '../scenes/use-stream-scene';
import { useRunningAnalysis } from '../streams/use-running-analysis';
import { describeDeadline } from './deadline';
import { DecisionPanel } from './decision-panel';
import { DECISION_LABELS, isClaimable, type ModeratorDecision } from './decisions';
import { KeyframeGallery } from './keyframe-gallery';
import { ReviewNotes } from './review-notes';
import { StreamHistory } from './stream-history';
import { useClaimReviewItem } from './use-claim-review-item';
import { useReviewQueuePolicies } from './use-review-queue-policies';
import { FIRINGS_PER_PAGE, useFiringPages, useReviewEvidence, type ReviewItem } from './use-review-item';

/**
 * A review item at work: the incident's keyframes (any one enlarged on demand) and its firings a
 * page at a time, each with its window's frames, boxes, findings and the model's reasoning; the
 * decision form; notes; what happened lately on the same stream; the rule that fired. The
 * analysis running on the stream now streams in below the evidence (a firing may join it).
 */
export function ReviewItemView({ item, refetch }: { item: ReviewItem; refetch: () => void }) {
  const { user } = useSignedIn();
  const now = useNow();
  const { claim: claimItem, claiming } = useClaimReviewItem();
  const evidence = useReviewEvidence(item.incidentId, item.ruleId);
  const pages = useFiringPages(item.incidentId);
  const running = useRunningAnalysis(item.streamId);
  const pausedQueues = useReviewQueuePolicies();
  const mine = item.status === 'CLAIMED' && item.assigneeId === user.id;
  const canWork = can.moderate(user.role);

  const incident = evidence.incident;
  const [firingId, setFiringId] = useState<string | null>(null);
  const firing = pages.firings.find((entry) => entry.id === firingId) ?? pages.firings[0];
  const analysis = firing?.analysis ?? undefined;
  const result = asResult(analysis?.result);
  // The zones and lines the analyser applied to this window; the current ones if it recorded none.
  const sceneVersion = typeof result?.sceneVersion === 'number' ? result.sceneVersion : null;
  const scene = useAnalysisScene(item.streamId, sceneVersion);
  const regions = useMemo(() => (scene ? draftOf(scene) : []), [scene]);
  const deadline = describeDeadline(item, now, pausedQueues);

  useEffect(() => {
    document.title = `Review: ${item.summary} · Vigil`;
  }, [item.summary]);

  // A decision ends the incident: read it again so its span says so.
  const { refresh: refreshEvidence } = evidence;
  useEffect(() => {
    if (item.status === 'RESOLVED') refreshEvidence();
  }, [item.status, refreshEvidence]);

  async function claim() {
    if (await claimItem(item.id)) refetch();
  }

  useKeyboardShortcuts({ c: () => isClaimable(item.status) && void claim() });

  const first = pages.firings[0];
  const last = pages.firings.at(-1);
  return (
    <>
      <div className="toolbar">
        <h1 id="item-title">{item.summary}</h1>
        <SeverityBadge severity={item.severity} />
        <StatusBadge status={mine ? 'CLAIMED by you' : item.status} />
        {item.status === 'CLAIMED' && !mine && item.assigneeName && (
          <span className="muted">by {item.assigneeName}</span>
        )}
        {deadline.streamEnded && !deadline.text?.includes('stream ended') && (
          <span className="badge stream-ended">stream ended</span>
        )}
        {deadline.text && <span className={deadline.overdue ? 'overdue' : 'muted'}>{deadline.text}</span>}
      </div>
      <p className="muted">
        Stream <Link to={`/streams/${item.streamId}`}>{item.streamName}</Link> · queue {item.queue} · priority{' '}
        {item.priority} · created {formatTime(item.createdAt)}
      </p>
      <div className="grid-2">
        <div className="column">
          <section className="card" aria-labelledby="keyframes-title">
            <h2 id="keyframes-title">Keyframes</h2>
            <QueryState
              fetching={evidence.fetching}
              error={evidence.error}
              data={incident}
              retry={evidence.retry}
            >
              {(loaded) => (
                <>
                  <p className="muted small" data-testid="incident-span">
                    {loaded.firings} firing{loaded.firings === 1 ? '' : 's'} from {formatTime(loaded.startAt)}{' '}
                    to {formatClock(loaded.endAt)}
                    {loaded.closedAt ? ` · ended (${loaded.closeReason ?? 'closed'})` : ' · ongoing'}
                  </p>
                  <KeyframeGallery frames={loaded.keyframes} label="Keyframes across the incident" />
                </>
              )}
            </QueryState>
          </section>
          <IncidentClipPlayer incidentId={item.incidentId} />
          <section className="card" aria-labelledby="firings-title">
            <h2 id="firings-title">Firings</h2>
            <div className="toolbar firing-pager">
              <button type="button" onClick={pages.older} disabled={!pages.hasOlder || pages.fetching}>
                ← Older firings
              </button>
              <span className="muted" aria-live="polite" data-testid="firing-range">
                {first && last
                  ? `${pages.offset + 1}–${pages.offset + pages.firings.length} of ${incident?.firings ?? '…'} · ${formatClock(first.startAt)} – ${formatClock(last.endAt)}`
                  : pages.fetching
                    ? 'Loading…'
                    : 'No firings'}
              </span>
              <button type="button" onClick={pages.newer} disabled={!pages.hasNewer || pages.fetching}>
                Newer firings →
              </button>
            </div>
            {pages.firings.length > 1 && (
              <div
                className="firing-list"
                role="radiogroup"
                aria-label={`Firings on this page (up to ${FIRINGS_PER_PAGE})`}
              >
                {pages.firings.map((entry) => (
                  <label key={entry.id} className={entry.id === firing?.id ? 'selected' : undefined}>
                    <input
                      type="radio"
                      name="firing"
                      checked={entry.id === firing?.id}
                      onChange={() => setFiringId(entry.id)}
                    />
                    {formatClock(entry.startAt)}–{formatClock(entry.endAt)}{' '}
                    <SeverityBadge severity={entry.severity} />
                  </label>
                ))}
              </div>
            )}
            {firing && (
              <FrameViewer
                key={firing.id}
                frames={firing.window?.frames ?? []}
                objects={result?.objects ?? []}
                regions={regions}
              />
            )}
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
                onFinished={pages.refresh}
              />
            )}
          </section>
          <RunningAnalysisPanel
            analysis={running.analysis}
            onFinished={() => {
              running.refresh();
              evidence.refresh();
              pages.refresh();
            }}
          />
          <ReviewNotes reviewItemId={item.id} canWrite={canWork} />
          <StreamHistory streamId={item.streamId} streamName={item.streamName} currentId={item.id} />
        </div>
        <div className="column">
          <section className="card" aria-labelledby="decision-title">
            <h2 id="decision-title">Decision</h2>
            {item.status === 'RESOLVED' ? (
              <DecidedSummary item={item} />
            ) : !canWork ? (
              <p className="muted">Your role reads review items; it does not decide them.</p>
            ) : !mine ? (
              <div>
                <p className="muted">
                  {item.status === 'CLAIMED'
                    ? `${item.assigneeName ?? 'Another moderator'} holds this item.`
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
              <DecisionPanel item={item} />
            )}
          </section>
          <section className="card" aria-labelledby="findings-title">
            <h2 id="findings-title">Findings</h2>
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
          </section>
          <section className="card" aria-labelledby="rule-title">
            <h2 id="rule-title">Rule that fired</h2>
            {evidence.rule ? (
              <>
                <p>
                  <strong>{evidence.rule.name}</strong>
                </p>
                <pre>{JSON.stringify(evidence.rule.condition, null, 2)}</pre>
              </>
            ) : (
              <p className="muted">{evidence.fetching ? 'Loading…' : 'The rule is no longer available.'}</p>
            )}
          </section>
        </div>
      </div>
    </>
  );
}

/** A decided item: the decision, the reason and policy as chosen, the notes, when. */
function DecidedSummary({ item }: { item: ReviewItem }) {
  const decision = item.decision as string | null;
  return (
    <dl className="facts" data-testid="decided">
      <dt>Decision</dt>
      <dd>
        <strong>
          {decision && decision in DECISION_LABELS
            ? DECISION_LABELS[decision as ModeratorDecision]
            : formatEnumValue(decision ?? '')}
        </strong>{' '}
        at {formatTime(item.decidedAt)}
      </dd>
      <dt>Reason</dt>
      <dd>{item.reason ?? '—'}</dd>
      <dt>Policy</dt>
      <dd>{item.policy ?? (item.policyReasonId ? '—' : 'none named (the decider’s own reason)')}</dd>
      {item.notes && (
        <>
          <dt>Notes</dt>
          <dd>{item.notes}</dd>
        </>
      )}
    </dl>
  );
}
