import { DataTable } from '../../components/data-table';
import { HashPrefix, JsonBlock } from '../../components/formatted';
import { formatTime } from '../../lib/format';
import type { useAuditEvents } from './use-audit';

type AuditEvent = ReturnType<typeof useAuditEvents>['nodes'][number];

/**
 * The events, one row each; every row can take focus (id `audit-event-<id>`), so "Show event"
 * can move to the broken one, which is marked.
 */
export function AuditEventsTable({
  events,
  actorName,
  brokenId,
}: {
  events: AuditEvent[];
  actorName: Map<string, string>;
  brokenId: string | null;
}) {
  return (
    <DataTable
      className="audit-table"
      rows={events}
      rowKey={(event) => event.id}
      rowAttributes={(event) => ({
        id: `audit-event-${event.id}`,
        tabIndex: -1,
        className: event.id === brokenId ? 'audit-broken' : undefined,
      })}
      columns={[
        {
          header: 'Time',
          cell: (event) => (
            <time dateTime={event.createdAt} title={event.createdAt}>
              {formatTime(event.createdAt)}
            </time>
          ),
        },
        {
          header: 'Actor',
          cell: (event) => (
            <>
              {event.actorType}
              {event.actorId && actorName.has(event.actorId) && <> {actorName.get(event.actorId)}</>}
              {event.actorId && <div className="mono small">{event.actorId}</div>}
            </>
          ),
        },
        { header: 'Action', cell: (event) => event.action },
        {
          header: 'Entity',
          cell: (event) => (
            <>
              {event.entityType}
              {event.entityId && <div className="mono small">{event.entityId}</div>}
            </>
          ),
        },
        {
          header: 'Chain index',
          cell: (event) => (
            <>
              {event.chainIndex}
              {event.id === brokenId && (
                <div>
                  <strong className="audit-broken-mark">⚠ broken link</strong>
                </div>
              )}
            </>
          ),
        },
        { header: 'Hash', cell: (event) => <HashPrefix hash={event.hash} /> },
        { header: 'Data', cell: (event) => <EventData event={event} /> },
      ]}
    />
  );
}

/** An event's data and chain links, folded. */
function EventData({ event }: { event: AuditEvent }) {
  return (
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
  );
}
