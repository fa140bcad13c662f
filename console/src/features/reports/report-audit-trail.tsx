import { Link } from 'react-router';
import { DataTable } from '../../components/data-table';
import { HashPrefix, Time } from '../../components/formatted';
import type { ReportAuditEntry } from './reports.documents';

/** The audit events about an incident and its review item, with links to them in the audit log. */
export function ReportAuditTrail({
  entries,
  incidentId,
  reviewItemId,
}: {
  entries: ReportAuditEntry[];
  incidentId: string;
  reviewItemId: string | undefined;
}) {
  return (
    <div className="card report-section">
      <h2>Audit trail</h2>
      <p className="muted no-print">
        In the audit log:{' '}
        <Link to={`/audit?entityType=Incident&entityId=${incidentId}`}>events of this incident</Link>
        {reviewItemId && (
          <>
            {' · '}
            <Link to={`/audit?entityType=ReviewItem&entityId=${reviewItemId}`}>
              events of its review item
            </Link>
          </>
        )}
      </p>
      <DataTable
        rows={entries}
        rowKey={(entry) => entry.id}
        empty="No audit events about this incident or its review item."
        columns={[
          { header: 'Time', cell: (entry) => <Time iso={entry.createdAt} /> },
          {
            header: 'Actor',
            cell: ({ actor }) => (
              <>
                {actor.type}{' '}
                <span className="mono">{actor.email ?? actor.apiKeyName ?? actor.id ?? '—'}</span>
              </>
            ),
          },
          { header: 'Action', cell: (entry) => entry.action },
          { header: 'Entity', cell: (entry) => entry.entityType },
          { header: 'Chain index', cell: (entry) => entry.chainIndex ?? '—' },
          { header: 'Hash', cell: (entry) => <HashPrefix hash={entry.hash} /> },
        ]}
      />
    </div>
  );
}
