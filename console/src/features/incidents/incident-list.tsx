import { Link, useSearchParams } from 'react-router';
import { SeverityBadge, StatusBadge } from '../../components/badges';
import { DataTable } from '../../components/data-table';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatTime } from '../../lib/format';
import { useIncidentLookups, useIncidents, type IncidentStatusFilter } from './use-incidents';

const STATUSES = ['OPEN', 'CLOSED'] as const;

/** How an incident ended, in a moderator's words. */
const CLOSE_REASONS: Record<string, string> = {
  quiet: 'ended: rule quiet for its cooldown',
  decided: 'ended: decided',
  superseded: 'ended: a new event began',
};
type IncidentStatus = IncidentStatusFilter;

/** Whether the URL's status is one the filter offers. */
function isStatus(value: string | null): value is IncidentStatus {
  return STATUSES.includes(value as IncidentStatus);
}

/** Incidents, newest first, filtered by status and stream (kept in the URL), each with its report. */
export function IncidentList() {
  const [params, setParams] = useSearchParams();
  const statusParam = params.get('status');
  const status = isStatus(statusParam) ? statusParam : null;
  const streamId = params.get('stream') || null;
  const { streams, streamName, ruleName } = useIncidentLookups();
  const incidents = useIncidents(status, streamId);

  function setFilter(name: 'status' | 'stream', value: string) {
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  }

  const filtered = Boolean(status || streamId);
  return (
    <section className="page" aria-labelledby="incidents-title">
      <div className="toolbar">
        <h1 id="incidents-title">Incidents</h1>
        <span className="muted" aria-live="polite">
          {incidents.loading
            ? ''
            : `${incidents.nodes.length}${incidents.hasMore ? '+' : ''} shown, newest first`}
        </span>
        <button type="button" onClick={incidents.reload} disabled={incidents.loading}>
          Refresh
        </button>
      </div>
      <div className="row" role="group" aria-label="Filters">
        <label>
          Status
          <select value={status ?? ''} onChange={(event) => setFilter('status', event.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value.toLowerCase()}
              </option>
            ))}
          </select>
        </label>
        <label>
          Stream
          <select value={streamId ?? ''} onChange={(event) => setFilter('stream', event.target.value)}>
            <option value="">All streams</option>
            {streams.map((stream) => (
              <option key={stream.id} value={stream.id}>
                {stream.name}
              </option>
            ))}
            {streamId && !streamName.has(streamId) && <option value={streamId}>{streamId}</option>}
          </select>
        </label>
      </div>
      {incidents.error && incidents.nodes.length === 0 ? (
        <ErrorState error={incidents.error} retry={incidents.reload} />
      ) : incidents.loading ? (
        <Loading label="Loading incidents" />
      ) : incidents.nodes.length === 0 ? (
        <Empty>
          {filtered
            ? 'No incidents match these filters.'
            : 'No incidents yet. They appear when a rule fires on a stream’s analyses.'}
        </Empty>
      ) : (
        <>
          <DataTable
            rows={incidents.nodes}
            rowKey={(incident) => incident.id}
            columns={[
              {
                header: 'Incident',
                cell: (incident) => (
                  <>
                    {incident.summary}
                    <div className="muted mono small">{incident.id}</div>
                  </>
                ),
              },
              { header: 'Severity', cell: (incident) => <SeverityBadge severity={incident.severity} /> },
              {
                header: 'Status',
                cell: (incident) => (
                  <>
                    <StatusBadge status={incident.status} />
                    {incident.closedAt && (
                      <div className="muted small">
                        {CLOSE_REASONS[incident.closeReason ?? ''] ?? 'ended'} ·{' '}
                        {formatTime(incident.closedAt)}
                      </div>
                    )}
                  </>
                ),
              },
              {
                header: 'Stream',
                cell: (incident) => (
                  <Link to={`/streams/${incident.streamId}`}>
                    {streamName.get(incident.streamId) ?? incident.streamId}
                  </Link>
                ),
              },
              {
                header: 'Rule',
                cell: (incident) =>
                  ruleName.get(incident.ruleId) ?? <span className="mono">{incident.ruleId}</span>,
              },
              {
                header: 'From – to',
                cell: (incident) => `${formatTime(incident.startAt)} – ${formatTime(incident.endAt)}`,
              },
              { header: 'Firings', cell: (incident) => incident.firings },
              {
                header: 'Report',
                cell: (incident) => (
                  <Link className="nowrap" to={`/incidents/${incident.id}/report`}>
                    View report
                    <span className="visually-hidden">
                      {' '}
                      for incident {incident.summary}, {formatTime(incident.startAt)}
                    </span>
                  </Link>
                ),
              },
            ]}
          />
          {incidents.error && <ErrorState error={incidents.error} retry={() => void incidents.loadMore()} />}
          {incidents.hasMore && (
            <p>
              <button
                type="button"
                onClick={() => void incidents.loadMore()}
                disabled={incidents.loadingMore}
                aria-busy={incidents.loadingMore}
              >
                {incidents.loadingMore ? 'Loading more…' : 'Load more incidents'}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}
