import { useState, type FormEvent } from 'react';
import { EnabledBadge } from '../../components/badges';
import { DataTable, RowAction, RowActions } from '../../components/data-table';
import {
  confirmAction,
  Field,
  FieldErrors,
  fieldProblems,
  FormActions,
  SecretOnce,
} from '../../components/form-kit';
import { formatTime } from '../../lib/format';
import {
  useCreateWebhookEndpoint,
  useDeleteWebhookEndpoint,
  useRotateWebhookSecret,
  useWebhookEndpoints,
  type WebhookEndpoint as Endpoint,
} from './use-webhooks';
import { WebhookDeliveries } from './webhook-deliveries';
import { EndpointEditor, EventChoice } from './webhook-endpoint-editor';

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
        <FormActions
          problems={problems}
          paths={['input.url', 'input.events']}
          busy={createState.fetching}
          busyLabel="Adding…"
          label="Add endpoint"
        />
      </form>
      <section className="card" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        <DataTable
          rows={endpoints}
          rowKey={(endpoint) => endpoint.id}
          query={{ fetching, error, retry: refresh }}
          empty="No endpoints yet."
          rowDetails={(endpoint) =>
            editing === endpoint.id && (
              <EndpointEditor
                endpoint={endpoint}
                onSaved={() => {
                  setEditing(null);
                  refresh();
                }}
                onCancel={() => setEditing(null)}
              />
            )
          }
          columns={[
            { header: 'URL', rowHeader: true, className: 'wrap-anywhere', cell: (endpoint) => endpoint.url },
            {
              header: 'Events',
              cell: (endpoint) => (endpoint.events.length ? endpoint.events.join(', ') : 'every event'),
            },
            { header: 'State', cell: (endpoint) => <EnabledBadge enabled={endpoint.enabled} /> },
            { header: 'Created', cell: (endpoint) => formatTime(endpoint.createdAt) },
            {
              header: 'Actions',
              cell: (endpoint) => (
                <RowActions>
                  <RowAction
                    expanded={editing === endpoint.id}
                    label={`Edit ${endpoint.url}`}
                    onClick={() => setEditing(editing === endpoint.id ? null : endpoint.id)}
                  >
                    Edit
                  </RowAction>
                  <RowAction label={`Rotate secret of ${endpoint.url}`} onClick={() => void rotate(endpoint)}>
                    Rotate secret
                  </RowAction>
                  <RowAction danger label={`Delete ${endpoint.url}`} onClick={() => void remove(endpoint)}>
                    Delete
                  </RowAction>
                </RowActions>
              ),
            },
          ]}
        />
      </section>
      <WebhookDeliveries title="Dead letters" fixedStatus="DEAD" urls={urls} />
      <WebhookDeliveries title="Deliveries" urls={urls} />
    </section>
  );
}
