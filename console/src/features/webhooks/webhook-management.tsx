import { useState, type FormEvent } from 'react';
import { EnabledBadge, StatusBadge } from '../../components/badges';
import { QueryState } from '../../components/states';
import {
  useCreateWebhookEndpoint,
  useDeleteWebhookEndpoint,
  useRetryWebhookDelivery,
  useRotateWebhookSecret,
  useUpdateWebhookEndpoint,
  useWebhookDeliveries,
  useWebhookEndpoints,
  type WebhookDeliveryStatus,
  type WebhookEndpoint,
} from './use-webhooks';
import { formatTime } from '../../lib/format';
import {
  confirmAction,
  Field,
  FieldErrors,
  fieldProblems,
  OtherProblems,
  SecretOnce,
} from '../../components/form-kit';

const EVENTS = ['rule.fired', 'incident.opened', 'review.resolved', 'stream.stopped', 'alert.raised'];
type Endpoint = WebhookEndpoint;
type DeliveryStatus = WebhookDeliveryStatus;

/** Webhook endpoints (signing secret shown once), their deliveries and the dead letters. */
export function WebhookManagement() {
  const { endpoints, fetching, error, refresh } = useWebhookEndpoints();
  const [createState, createEndpoint] = useCreateWebhookEndpoint();
  const [, rotateSecret] = useRotateWebhookSecret();
  const [, deleteEndpoint] = useDeleteWebhookEndpoint();
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const problems = fieldProblems(createState.error);
  const urls = new Map((endpoints ?? []).map((endpoint) => [endpoint.id, endpoint.url]));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await createEndpoint({ input: { url: url.trim(), events } });
    if (!result) return;
    setSecret({
      url: result.createWebhookEndpoint.webhookEndpoint.url,
      secret: result.createWebhookEndpoint.secret,
    });
    setUrl('');
    setEvents([]);
    refresh();
  }

  async function rotate(endpoint: Endpoint) {
    if (!confirmAction(`Rotate the signing secret of ${endpoint.url}? The old secret stops working at once.`))
      return;
    const result = await rotateSecret({ id: endpoint.id });
    if (result)
      setSecret({
        url: result.rotateWebhookSecret.webhookEndpoint.url,
        secret: result.rotateWebhookSecret.secret,
      });
  }

  async function remove(endpoint: Endpoint) {
    if (!confirmAction(`Delete the endpoint ${endpoint.url}? Its deliveries are deleted with it.`)) return;
    if (await deleteEndpoint({ id: endpoint.id })) {
      if (editing === endpoint.id) setEditing(null);
      refresh();
    }
  }

  return (
    <section className="page admin-page" aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      {secret && (
        <SecretOnce
          title={`Signing secret for ${secret.url}`}
          secret={secret.secret}
          onDismiss={() => setSecret(null)}
        >
          <p>
            Verify each delivery’s <code>Vigil-Signature</code> header (HMAC-SHA256) with it.
          </p>
        </SecretOnce>
      )}
      <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="webhook-new-title">
        <h2 id="webhook-new-title">Add an endpoint</h2>
        <Field
          label="Endpoint URL"
          path="input.url"
          problems={problems}
          hint="https (or http); loopback, private and link-local addresses are refused"
        >
          <input
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            required
            placeholder="https://partner.example/vigil"
          />
        </Field>
        <EventChoice value={events} onChange={setEvents} legend="Events (none checked: every event)" />
        <FieldErrors problems={problems} path="input.events" showPaths />
        <OtherProblems problems={problems} paths={['input.url', 'input.events']} />
        <div className="toolbar">
          <button type="submit" className="primary" disabled={createState.fetching}>
            {createState.fetching ? 'Adding…' : 'Add endpoint'}
          </button>
        </div>
      </form>
      <section className="card" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        <QueryState
          fetching={fetching}
          error={error}
          data={endpoints}
          retry={refresh}
          isEmpty={(list) => list.length === 0}
          empty="No endpoints yet."
        >
          {(list) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">URL</th>
                  <th scope="col">Events</th>
                  <th scope="col">State</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {list.map((endpoint) => (
                  <EndpointRows
                    key={endpoint.id}
                    endpoint={endpoint}
                    editing={editing === endpoint.id}
                    onEdit={() => setEditing(editing === endpoint.id ? null : endpoint.id)}
                    onSaved={() => {
                      setEditing(null);
                      refresh();
                    }}
                    onRotate={() => void rotate(endpoint)}
                    onDelete={() => void remove(endpoint)}
                  />
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </section>
      <Deliveries title="Dead letters" fixedStatus="DEAD" urls={urls} />
      <Deliveries title="Deliveries" urls={urls} />
    </section>
  );
}

function EventChoice({
  value,
  onChange,
  legend,
}: {
  value: string[];
  onChange: (events: string[]) => void;
  legend: string;
}) {
  return (
    <fieldset className="event-choice">
      <legend>{legend}</legend>
      {EVENTS.map((name) => (
        <label key={name} className="inline">
          <input
            type="checkbox"
            checked={value.includes(name)}
            onChange={(e) =>
              onChange(e.target.checked ? [...value, name] : value.filter((item) => item !== name))
            }
          />
          <code>{name}</code>
        </label>
      ))}
    </fieldset>
  );
}

function EndpointRows({
  endpoint,
  editing,
  onEdit,
  onSaved,
  onRotate,
  onDelete,
}: {
  endpoint: Endpoint;
  editing: boolean;
  onEdit: () => void;
  onSaved: () => void;
  onRotate: () => void;
  onDelete: () => void;
}) {
  return (
    <>
      <tr>
        <th scope="row" className="wrap-anywhere">
          {endpoint.url}
        </th>
        <td>{endpoint.events.length ? endpoint.events.join(', ') : 'every event'}</td>
        <td>
          <EnabledBadge enabled={endpoint.enabled} />
        </td>
        <td>{formatTime(endpoint.createdAt)}</td>
        <td>
          <div className="toolbar">
            <button
              type="button"
              aria-expanded={editing}
              aria-label={`Edit ${endpoint.url}`}
              onClick={onEdit}
            >
              Edit
            </button>
            <button type="button" aria-label={`Rotate secret of ${endpoint.url}`} onClick={onRotate}>
              Rotate secret
            </button>
            <button type="button" className="danger" aria-label={`Delete ${endpoint.url}`} onClick={onDelete}>
              Delete
            </button>
          </div>
        </td>
      </tr>
      {editing && (
        <tr>
          <td colSpan={5}>
            <EndpointEditor endpoint={endpoint} onSaved={onSaved} onCancel={onEdit} />
          </td>
        </tr>
      )}
    </>
  );
}

function EndpointEditor({
  endpoint,
  onSaved,
  onCancel,
}: {
  endpoint: Endpoint;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [state, update] = useUpdateWebhookEndpoint();
  const [url, setUrl] = useState(endpoint.url);
  const [events, setEvents] = useState(endpoint.events);
  const [enabled, setEnabled] = useState(endpoint.enabled);
  const problems = fieldProblems(state.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { events, enabled, ...(url.trim() !== endpoint.url ? { url: url.trim() } : {}) };
    if (await update({ id: endpoint.id, input })) onSaved();
  }

  return (
    <form className="admin-form" onSubmit={submit} noValidate aria-label={`Edit ${endpoint.url}`}>
      <Field label="Endpoint URL" path="input.url" problems={problems}>
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} />
      </Field>
      <EventChoice value={events} onChange={setEvents} legend="Events (none checked: every event)" />
      <label className="inline">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled (disabled endpoints receive nothing)
      </label>
      <OtherProblems problems={problems} paths={['input.url']} />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={state.fetching}>
          Save endpoint
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Deliveries, newest first, with a status filter; DEAD ones can be queued again. */
function Deliveries({
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
      <QueryState
        fetching={fetching}
        error={error}
        data={deliveries}
        retry={refresh}
        isEmpty={(list) => list.length === 0}
        empty={fixedStatus === 'DEAD' ? 'No dead letters.' : 'No deliveries.'}
      >
        {(list) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Event</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                {list.some((delivery) => delivery.status === 'DEAD') && <th scope="col">Retry</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((delivery) => (
                <tr key={delivery.id}>
                  <td>{formatTime(delivery.createdAt)}</td>
                  <td>
                    <code>{delivery.event}</code>
                  </td>
                  <td className="wrap-anywhere">
                    {urls.get(delivery.webhookEndpointId) ?? delivery.webhookEndpointId}
                  </td>
                  <td>
                    <StatusBadge status={delivery.status} />
                    {delivery.status === 'PENDING' && delivery.nextAttemptAt && (
                      <div className="muted">next {formatTime(delivery.nextAttemptAt)}</div>
                    )}
                    {delivery.deliveredAt && <div className="muted">{formatTime(delivery.deliveredAt)}</div>}
                  </td>
                  <td>{delivery.attempts}</td>
                  <td>
                    {delivery.lastStatus ? `HTTP ${delivery.lastStatus}` : '—'}
                    {delivery.lastError && <div className="error-text">{delivery.lastError}</div>}
                  </td>
                  {list.some((item) => item.status === 'DEAD') && (
                    <td>
                      {delivery.status === 'DEAD' && (
                        <button
                          type="button"
                          disabled={retryState.fetching}
                          aria-label={`Retry ${delivery.event} delivery of ${formatTime(delivery.createdAt)}`}
                          onClick={() => void retry({ id: delivery.id })}
                        >
                          Retry
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </section>
  );
}
