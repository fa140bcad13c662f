import { useState } from 'react';
import { StatusBadge } from '../../components/badges';
import { DataTable, RowAction } from '../../components/data-table';
import { formatTime } from '../../lib/format';
import {
  useRetryWebhookDelivery,
  useWebhookDeliveries,
  type WebhookDelivery,
  type WebhookDeliveryStatus as DeliveryStatus,
} from './use-webhooks';

/** Deliveries, newest first, with a status filter; DEAD ones can be queued again. */
export function WebhookDeliveries({
  title,
  fixedStatus,
  urls,
}: {
  title: string;
  fixedStatus?: DeliveryStatus;
  urls: Map<string, string>;
}) {
  const [filter, setFilter] = useState<DeliveryStatus | ''>('');
  const status = fixedStatus ?? (filter || null);
  const { deliveries, fetching, error, refresh } = useWebhookDeliveries(status);
  const [retryState, retry] = useRetryWebhookDelivery(refresh);
  const headingId = `deliveries-${fixedStatus ?? 'all'}`;

  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="toolbar">
        <h2 id={headingId}>{title}</h2>
        {!fixedStatus && (
          <label className="inline">
            Status
            <select value={filter} onChange={(e) => setFilter(e.target.value as DeliveryStatus | '')}>
              <option value="">All</option>
              <option value="PENDING">Pending</option>
              <option value="DELIVERED">Delivered</option>
              <option value="DEAD">Dead</option>
            </select>
          </label>
        )}
        <button type="button" onClick={refresh} aria-label={`Refresh ${title.toLowerCase()}`}>
          Refresh
        </button>
      </div>
      {fixedStatus === 'DEAD' && (
        <p className="muted">
          Deliveries whose every attempt failed. Retry queues one again with fresh attempts.
        </p>
      )}
      <DataTable
        rows={deliveries}
        rowKey={(delivery) => delivery.id}
        query={{ fetching, error, retry: refresh }}
        empty={fixedStatus === 'DEAD' ? 'No dead letters.' : 'No deliveries.'}
        columns={[
          { header: 'Created', cell: (delivery) => formatTime(delivery.createdAt) },
          { header: 'Event', cell: (delivery) => <code>{delivery.event}</code> },
          {
            header: 'Endpoint',
            className: 'wrap-anywhere',
            cell: (delivery) => urls.get(delivery.webhookEndpointId) ?? delivery.webhookEndpointId,
          },
          {
            header: 'Status',
            cell: (delivery) => (
              <>
                <StatusBadge status={delivery.status} />
                {delivery.status === 'PENDING' && delivery.nextAttemptAt && (
                  <div className="muted">next {formatTime(delivery.nextAttemptAt)}</div>
                )}
                {delivery.deliveredAt && <div className="muted">{formatTime(delivery.deliveredAt)}</div>}
              </>
            ),
          },
          { header: 'Attempts', cell: (delivery) => delivery.attempts },
          {
            header: 'Last answer',
            cell: (delivery) => (
              <>
                {delivery.lastStatus ? `HTTP ${delivery.lastStatus}` : '—'}
                {delivery.lastError && <div className="error-text">{delivery.lastError}</div>}
              </>
            ),
          },
          // Only dead deliveries can be retried: the column is there when one is listed.
          ...(deliveries?.some((delivery) => delivery.status === 'DEAD')
            ? [
                {
                  header: 'Retry',
                  cell: (delivery: WebhookDelivery) =>
                    delivery.status === 'DEAD' && (
                      <RowAction
                        disabled={retryState.fetching}
                        label={`Retry ${delivery.event} delivery of ${formatTime(delivery.createdAt)}`}
                        onClick={() => void retry({ id: delivery.id })}
                      >
                        Retry
                      </RowAction>
                    ),
                },
              ]
            : []),
        ]}
      />
    </section>
  );
}
