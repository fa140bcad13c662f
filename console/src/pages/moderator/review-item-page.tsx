import { useEffect, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useQuery } from 'urql';
import { graphql, type ResultOf } from '../../api/graphql';
import { useSignedIn } from '../../auth/session';
import { can } from '../../auth/roles';
import { asResult, Findings } from '../../components/analysis/findings';
import { FrameViewer } from '../../components/analysis/frame-viewer';
import { ReasoningPanel } from '../../components/analysis/reasoning-panel';
import { RunningAnalysisPanel } from '../../components/analysis/running-analysis';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { QueryState } from '../../components/states';
import { useKeyboardShortcuts } from '../../hooks/use-keyboard-shortcuts';
import { QueueItemFields } from '../../hooks/use-live-review-queue';
import { useNow } from '../../hooks/use-now';
import { formatCountdown, formatTime } from '../../lib/format';
import {
  DECISION_LABELS,
  isClaimable,
  useReviewActions,
  type ModeratorDecision,
} from '../../hooks/use-review-actions';

const ReviewItemQuery = graphql(
  `
    query ReviewItemView($id: ID!) {
      reviewItem(reviewItemId: $id) {
        ...QueueItemFields
        decision
        reason
        notes
        decidedAt
        decidedById
      }
    }
  `,
  [QueueItemFields],
);

const EvidenceQuery = graphql(`
  query ReviewEvidence($incidentId: ID!, $ruleId: ID!) {
    incident(incidentId: $incidentId) {
      id
      summary
      severity
      confidence
      status
      startAt
      endAt
      firings
      analyses {
        id
        status
        mode
        model
        nodeName
        windowId
        startedAt
        completedAt
        result
        reasoning
      }
      windows {
        id
        index
        startAt
        endAt
        frames {
          id
          url
          capturedAt
          sequence
          skippedBefore
          width
          height
          sha256
        }
      }
    }
    rule(ruleId: $ruleId) {
      id
      name
      condition
    }
  }
`);

const RunningOnStreamQuery = graphql(`
  query RunningOnStream($streamId: ID!) {
    stream(streamId: $streamId) {
      id
      analyses(first: 1, status: RUNNING) {
        edges {
          node {
            id
            status
            startedAt
            model
          }
        }
      }
    }
  }
`);

/** How often the item page looks for an analysis running on the item's stream. */
const RUNNING_POLL_MS = 3000;

/** Decision keys, as shown on screen; with Shift the next item of the queue is claimed after. */
const DECISION_KEYS: [string, ModeratorDecision][] = [
  ['d', 'DISMISS'],
  ['v', 'CONFIRM_VIOLATION'],
  ['e', 'ESCALATE'],
  ['s', 'STOP_STREAM'],
];

const DEFAULT_REASONS: Record<ModeratorDecision, string> = {
  DISMISS: 'No violation in the keyframes',
  CONFIRM_VIOLATION: 'Violation visible in the keyframes',
  ESCALATE: 'Needs a senior moderator',
  STOP_STREAM: 'Stream stopped: ongoing violation',
};

export function ReviewItemPage() {
  const { reviewItemId = '' } = useParams();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: ReviewItemQuery,
    variables: { id: reviewItemId },
    requestPolicy: 'network-only',
  });
  const item = data?.reviewItem;
  return (
    <section className="page" aria-labelledby="item-title">
      <p>
        <Link to="/queue">← Back to the queue</Link>
      </p>
      <QueryState fetching={fetching} error={error} data={item} retry={() => refetch()}>
        {(loaded) => (
          <ReviewItemView
            key={loaded.id}
            item={loaded}
            refetch={() => refetch({ requestPolicy: 'network-only' })}
          />
        )}
      </QueryState>
    </section>
  );
}

type LoadedItem = ResultOf<typeof ReviewItemQuery>['reviewItem'];

function ReviewItemView({ item, refetch }: { item: LoadedItem; refetch: () => void }) {
  const { user } = useSignedIn();
  const navigate = useNavigate();
  const now = useNow();
  const actions = useReviewActions();
  const [reason, setReason] = useState('');
  const [notes, setNotes] = useState('');
  const [thenNext, setThenNext] = useState(true);
  const [evidence, refetchEvidence] = useQuery({
    query: EvidenceQuery,
    variables: { incidentId: item.incidentId, ruleId: item.ruleId },
  });
  // The stream goes on while the moderator looks: the model's reasoning on its current window
  // streams in below the evidence (a firing may join this incident).
  const [runningOnStream, refetchRunning] = useQuery({
    query: RunningOnStreamQuery,
    variables: { streamId: item.streamId },
    requestPolicy: 'network-only',
  });
  useEffect(() => {
    const timer = setInterval(() => refetchRunning({ requestPolicy: 'network-only' }), RUNNING_POLL_MS);
    return () => clearInterval(timer);
  }, [refetchRunning]);
  const mine = item.status === 'CLAIMED' && item.assigneeId === user.id;
  const canWork = can.moderate(user.role);

  const incident = evidence.data?.incident;
  const analyses = useMemo(() => [...(incident?.analyses ?? [])].reverse(), [incident]);
  const [analysisIndex, setAnalysisIndex] = useState(0);
  const analysis = analyses[Math.min(analysisIndex, analyses.length - 1)];
  const window = incident?.windows.find((candidate) => candidate.id === analysis?.windowId);
  const result = asResult(analysis?.result);

  useEffect(() => {
    document.title = `Review: ${item.summary} · Vigil`;
  }, [item.summary]);

  async function claim() {
    if (await actions.claim(item.id)) refetch();
  }

  async function decide(decision: ModeratorDecision, next: boolean) {
    if (!mine || actions.deciding) return;
    const decided = await actions.decide(
      item.id,
      decision,
      reason.trim() || DEFAULT_REASONS[decision],
      notes.trim(),
    );
    if (!decided) return;
    if (next) {
      const nextItem = await actions.claimNext(item.queue);
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
                    Window {incident?.windows.find((w) => w.id === candidate.windowId)?.index ?? '?'} (
                    {candidate.mode.toLowerCase()})
                  </button>
                ))}
              </div>
            )}
            <QueryState
              fetching={evidence.fetching}
              error={evidence.error}
              data={incident}
              retry={() => refetchEvidence()}
            >
              {() => (
                <FrameViewer
                  key={analysis?.id}
                  frames={window?.frames ?? []}
                  objects={result?.objects ?? []}
                />
              )}
            </QueryState>
            {analysis && (
              <ReasoningPanel
                key={analysis.id}
                analysisId={analysis.id}
                status={analysis.status}
                reasoning={analysis.reasoning}
                onFinished={() => refetchEvidence({ requestPolicy: 'network-only' })}
              />
            )}
          </div>
          <RunningAnalysisPanel
            analysis={runningOnStream.data?.stream.analyses.edges[0]?.node}
            onFinished={() => {
              refetchRunning({ requestPolicy: 'network-only' });
              refetchEvidence({ requestPolicy: 'network-only' });
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
                  disabled={!isClaimable(item.status) || actions.claiming}
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
                      disabled={actions.deciding}
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
                · {analysis.status.toLowerCase()} · {formatTime(analysis.completedAt ?? analysis.startedAt)}
              </p>
            )}
            <Findings result={result} />
          </div>
          <div className="card">
            <h2>Rule that fired</h2>
            {evidence.data?.rule ? (
              <>
                <p>
                  <strong>{evidence.data.rule.name}</strong> · {incident?.firings ?? 0} firing(s) from{' '}
                  {formatTime(incident?.startAt)} to {formatTime(incident?.endAt)}
                </p>
                <pre>{JSON.stringify(evidence.data.rule.condition, null, 2)}</pre>
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
