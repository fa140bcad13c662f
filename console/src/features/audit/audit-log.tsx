import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { toast } from 'sonner';
import type { CombinedError } from 'urql';
import { describeError, fieldProblems } from '../../api/errors';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatTime, fromLocalInput, toLocalInput } from '../../lib/format';
import { HashPrefix, JsonBlock } from '../../components/formatted';
import { useAuditActorNames, useAuditEvents, useVerifyAuditChain, type ChainVerification } from './use-audit';

/** The URL parameter of "Show event": the log from that place in the chain backwards. */
const UP_TO_PARAM = 'upTo';

/** Who the actors are: a tenant's users and API keys fit in one page each. */
type Verification = ChainVerification;

/** The filters, as kept in the URL (from/to as ISO instants). */
const FILTER_KEYS = ['action', 'entityType', 'entityId', 'actorId', 'from', 'to'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Record<FilterKey, string>;

const ENTITY_TYPES = [
  'ApiKey',
  'Incident',
  'InferenceNode',
  'PromptTemplate',
  'PromptTemplateVersion',
  'ReviewItem',
  'ReviewQueue',
  'Rule',
  'Session',
  'Stream',
  'Tenant',
  'User',
  'WebhookDelivery',
  'WebhookEndpoint',
];

function filtersOf(params: URLSearchParams): Filters {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ''])) as Filters;
}

/** The API's per-field messages (BAD_USER_INPUT `extensions.fields`), keyed by filter name. */
function fieldErrorsOf(error: CombinedError | null): Partial<Record<FilterKey, string>> {
  const result: Partial<Record<FilterKey, string>> = {};
  for (const { field, message } of fieldProblems(error)) {
    const name = field.split('.').pop() as FilterKey;
    if (FILTER_KEYS.includes(name)) result[name] = message;
  }
  return result;
}

/**
 * The tenant's audit log, newest first, with filters (kept in the URL, so a report can link to
 * an entity's events) and the chain check: "Verify chain" re-reads the whole chain on the server
 * and names the first broken event, which can then be found and highlighted in the table.
 */
export function AuditLog() {
  const verifyChain = useVerifyAuditChain();
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => filtersOf(params), [params]);
  const [draft, setDraft] = useState<Filters>(() => ({
    ...applied,
    from: applied.from ? toLocalInput(applied.from) : '',
    to: applied.to ? toLocalInput(applied.to) : '',
  }));
  useEffect(() => {
    // The URL changed from outside the form (a link, back/forward): show what is applied.
    setDraft({
      ...applied,
      from: applied.from ? toLocalInput(applied.from) : '',
      to: applied.to ? toLocalInput(applied.to) : '',
    });
  }, [applied]);

  const upTo = Number(params.get(UP_TO_PARAM)) || null;
  const filter = useMemo(() => {
    const value: Record<string, string | number> = {};
    for (const key of FILTER_KEYS) if (applied[key]) value[key] = applied[key];
    if (upTo) value.upToChainIndex = upTo;
    return Object.keys(value).length > 0 ? value : null;
  }, [applied, upTo]);
  const actorName = useAuditActorNames();
  const events = useAuditEvents(filter);
  const fieldErrors = fieldErrorsOf(events.error);
  const filtered = filter !== null;

  const [verification, setVerification] = useState<Verification | null>(null);
  const [verifyError, setVerifyError] = useState<string | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [focusId, setFocusId] = useState<string | null>(null);
  const brokenId = verification && !verification.ok ? verification.firstBrokenEventId : null;

  function apply(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const key of FILTER_KEYS) {
      const raw = draft[key].trim();
      const value =
        key === 'from' ? (fromLocalInput(raw) ?? '') : key === 'to' ? (fromLocalInput(raw, true) ?? '') : raw;
      if (value) next.set(key, value);
    }
    setParams(next);
  }

  function clear() {
    setParams(new URLSearchParams());
  }

  async function verify() {
    setVerifying(true);
    setVerifyError(null);
    const result = await verifyChain();
    setVerifying(false);
    if (result.error || !result.data) {
      const message = describeError(result.error) || 'No answer from the server';
      setVerification(null);
      setVerifyError(message);
      toast.error(`Chain verification failed to run: ${message}`);
      return;
    }
    const outcome = result.data.verifyAuditChain;
    setVerification(outcome);
    if (outcome.ok) toast.success(`Audit chain verified: ${outcome.eventsChecked} events intact`);
    else toast.warning(`Audit chain verified: broken at event #${outcome.firstBrokenChainIndex ?? '?'}`);
  }

  /** The log from the broken event backwards (the server filters by chain index); focus goes to it. */
  function showEvent(chainIndex: number) {
    setParams(new URLSearchParams({ [UP_TO_PARAM]: String(chainIndex) }));
  }

  // Once the table holds the broken event shown by "Show event", move focus to it.
  useEffect(() => {
    if (upTo && brokenId && events.nodes.some((node) => node.id === brokenId)) setFocusId(brokenId);
  }, [upTo, brokenId, events.nodes]);

  useEffect(() => {
    if (!focusId) return;
    const row = document.getElementById(`audit-event-${focusId}`);
    if (row) {
      row.scrollIntoView({ block: 'center' });
      row.focus();
    }
    setFocusId(null);
  }, [focusId]);

  const field = (key: FilterKey) => ({
    value: draft[key],
    onChange: (event: { target: { value: string } }) =>
      setDraft((previous) => ({ ...previous, [key]: event.target.value })),
    'aria-invalid': fieldErrors[key] ? true : undefined,
    'aria-describedby': fieldErrors[key] ? `audit-filter-${key}-error` : undefined,
  });
  const fieldError = (key: FilterKey) =>
    fieldErrors[key] ? (
      <span className="field-error" id={`audit-filter-${key}-error`}>
        {fieldErrors[key]}
      </span>
    ) : null;

  return (
    <section className="page" aria-labelledby="audit-title">
      <div className="toolbar">
        <h1 id="audit-title">Audit log</h1>
        <span className="muted">Newest first. Every event is chained to the previous one by its hash.</span>
      </div>

      <div className="card audit-verify">
        <h2 id="verify-title">Chain verification</h2>
        <div className="toolbar">
          <button
            type="button"
            className="primary"
            onClick={() => void verify()}
            disabled={verifying}
            aria-busy={verifying}
            aria-describedby="verify-help"
          >
            {verifying ? 'Verifying chain…' : 'Verify chain'}
          </button>
          <span id="verify-help" className="muted">
            Re-reads every event of the tenant and checks the indexes, the links and the hashes.
          </span>
        </div>
        <div role="status" aria-live="polite" aria-atomic="true" className="verify-result" id="verify-result">
          {verifying ? (
            <p>Verifying the audit chain…</p>
          ) : verifyError ? (
            <p className="error-text">Verification could not run: {verifyError}</p>
          ) : verification ? (
            verification.ok ? (
              <p className="verify-ok">
                <strong>Chain intact:</strong> {verification.eventsChecked} events verified, head{' '}
                <code title={verification.headHash ?? undefined}>
                  {verification.headHash ? verification.headHash.slice(0, 12) : 'none'}
                </code>
                <span className="muted"> (checked {formatTime(verification.verifiedAt)})</span>
              </p>
            ) : (
              <p className="verify-broken">
                <strong>
                  Chain broken at event #{verification.firstBrokenChainIndex ?? '?'} (
                  {verification.firstBrokenEventId ?? 'unknown event'}):
                </strong>{' '}
                {verification.reason ?? 'no reason given'}
                <span className="muted">
                  {' '}
                  ({verification.eventsChecked} events checked, {formatTime(verification.verifiedAt)})
                </span>
              </p>
            )
          ) : (
            <p className="muted">Not verified yet in this view.</p>
          )}
        </div>
        {brokenId && verification?.firstBrokenChainIndex != null && (
          <p>
            <button type="button" onClick={() => showEvent(verification.firstBrokenChainIndex!)}>
              Show event #{verification.firstBrokenChainIndex} in the log
            </button>
          </p>
        )}
      </div>

      <form className="card audit-filters" aria-labelledby="audit-filters-title" onSubmit={apply} noValidate>
        <h2 id="audit-filters-title">Filters</h2>
        <div className="row">
          <label>
            Action
            <input
              type="text"
              list="audit-actions"
              placeholder="e.g. reviewItem.decide"
              {...field('action')}
            />
            {fieldError('action')}
          </label>
          <label>
            Entity type
            <input
              type="text"
              list="audit-entity-types"
              placeholder="e.g. ReviewItem"
              {...field('entityType')}
            />
            {fieldError('entityType')}
          </label>
          <label>
            Entity id
            <input type="text" className="mono" {...field('entityId')} />
            {fieldError('entityId')}
          </label>
          <label>
            Actor id
            <input type="text" className="mono" placeholder="user or API key id" {...field('actorId')} />
            {fieldError('actorId')}
          </label>
          <label>
            From
            <input type="datetime-local" {...field('from')} />
            {fieldError('from')}
          </label>
          <label>
            To
            <input type="datetime-local" {...field('to')} />
            {fieldError('to')}
          </label>
          <div className="toolbar">
            <button type="submit" className="primary">
              Apply filters
            </button>
            <button type="button" onClick={clear} disabled={!filtered}>
              Clear filters
            </button>
          </div>
        </div>
        <datalist id="audit-entity-types">
          {ENTITY_TYPES.map((type) => (
            <option key={type} value={type} />
          ))}
        </datalist>
        <datalist id="audit-actions">
          {[...new Set(events.nodes.map((node) => node.action))].sort().map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
      </form>

      <section aria-labelledby="audit-events-title" className="audit-events">
        <div className="toolbar">
          <h2 id="audit-events-title">Events</h2>
          <span className="muted" aria-live="polite">
            {events.loading
              ? ''
              : `${events.nodes.length}${events.hasMore ? '+' : ''} shown${upTo ? `, from event #${upTo} backwards` : ''}${filtered ? ' (filtered)' : ''}`}
          </span>
          <button type="button" onClick={events.reload} disabled={events.loading}>
            Refresh
          </button>
        </div>
        {events.error && events.nodes.length === 0 ? (
          Object.keys(fieldErrors).length > 0 ? (
            <p className="error-text" role="alert">
              {describeError(events.error)}
            </p>
          ) : (
            <ErrorState error={events.error} retry={events.reload} />
          )
        ) : events.loading ? (
          <Loading label="Loading the audit log" />
        ) : events.nodes.length === 0 ? (
          <Empty>{filtered ? 'No audit events match these filters.' : 'No audit events yet.'}</Empty>
        ) : (
          <>
            <table className="audit-table">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Entity</th>
                  <th scope="col">Chain index</th>
                  <th scope="col">Hash</th>
                  <th scope="col">Data</th>
                </tr>
              </thead>
              <tbody>
                {events.nodes.map((event) => {
                  const broken = event.id === brokenId;
                  return (
                    <tr
                      key={event.id}
                      id={`audit-event-${event.id}`}
                      tabIndex={-1}
                      className={broken ? 'audit-broken' : undefined}
                    >
                      <td>
                        <time dateTime={event.createdAt} title={event.createdAt}>
                          {formatTime(event.createdAt)}
                        </time>
                      </td>
                      <td>
                        {event.actorType}
                        {event.actorId && actorName.has(event.actorId) && (
                          <> {actorName.get(event.actorId)}</>
                        )}
                        {event.actorId && <div className="mono small">{event.actorId}</div>}
                      </td>
                      <td>{event.action}</td>
                      <td>
                        {event.entityType}
                        {event.entityId && <div className="mono small">{event.entityId}</div>}
                      </td>
                      <td>
                        {event.chainIndex}
                        {broken && (
                          <div>
                            <strong className="audit-broken-mark">⚠ broken link</strong>
                          </div>
                        )}
                      </td>
                      <td>
                        <HashPrefix hash={event.hash} />
                      </td>
                      <td>
                        <details>
                          <summary>
                            Data<span className="visually-hidden"> of event #{event.chainIndex}</span>
                          </summary>
                          <JsonBlock value={event.data} />
                          <p className="muted small">
                            id <span className="mono">{event.id}</span>
                            <br />
                            previous hash <span className="mono">{event.prevHash ?? '— (first event)'}</span>
                            <br />
                            hash <span className="mono">{event.hash}</span>
                          </p>
                        </details>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {events.error && <ErrorState error={events.error} retry={() => void events.loadMore()} />}
            {events.hasMore && (
              <p>
                <button
                  type="button"
                  onClick={() => void events.loadMore()}
                  disabled={events.loadingMore}
                  aria-busy={events.loadingMore}
                >
                  {events.loadingMore ? 'Loading more…' : 'Load more events'}
                </button>
              </p>
            )}
          </>
        )}
      </section>
    </section>
  );
}
