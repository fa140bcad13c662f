import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { describeError } from '../../api/errors';
import { Empty, ErrorState, Loading } from '../../components/states';
import { fromLocalInput } from '../../lib/format';
import { ChainVerificationCard, useChainVerification } from './audit-chain-verification';
import { AuditEventsTable } from './audit-events-table';
import { AuditFilters, draftOf, fieldErrorsOf, FILTER_KEYS, filtersOf, type Filters } from './audit-filters';
import { useAuditActorNames, useAuditEvents } from './use-audit';

/** The URL parameter of "Show event": the log from that place in the chain backwards. */
const UP_TO_PARAM = 'upTo';

/**
 * The tenant's audit log, newest first, with filters (kept in the URL, so a report can link to
 * an entity's events) and the chain check: "Verify chain" has a worker re-read the whole chain, shows
 * its progress, and names the first broken event, which can then be found and highlighted in the table.
 */
export function AuditLog() {
  const [params, setParams] = useSearchParams();
  const applied = useMemo(() => filtersOf(params), [params]);
  const [draft, setDraft] = useState<Filters>(() => draftOf(applied));
  useEffect(() => {
    // The URL changed from outside the form (a link, back/forward): show what is applied.
    setDraft(draftOf(applied));
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

  const { run, verification, verifyError, verifying, verify } = useChainVerification();
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

  return (
    <section className="page" aria-labelledby="audit-title">
      <div className="toolbar">
        <h1 id="audit-title">Audit log</h1>
        <span className="muted">Newest first. Every event is chained to the previous one by its hash.</span>
      </div>

      <ChainVerificationCard
        run={run}
        verification={verification}
        verifyError={verifyError}
        verifying={verifying}
        onVerify={() => void verify()}
        onShowEvent={showEvent}
      />

      <AuditFilters
        draft={draft}
        onDraftChange={(key, value) => setDraft((previous) => ({ ...previous, [key]: value }))}
        fieldErrors={fieldErrors}
        actions={[...new Set(events.nodes.map((node) => node.action))].sort()}
        filtered={filtered}
        onApply={apply}
        onClear={clear}
      />

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
            <AuditEventsTable events={events.nodes} actorName={actorName} brokenId={brokenId} />
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
