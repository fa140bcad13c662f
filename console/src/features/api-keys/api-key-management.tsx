import { useState, type FormEvent } from 'react';
import type { Role } from '../../auth/session';
import { DataTable, RowAction } from '../../components/data-table';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from './use-api-keys';
import { formatTime } from '../../lib/format';
import {
  confirmAction,
  Field,
  FieldErrors,
  fieldProblems,
  FormActions,
  SecretOnce,
} from '../../components/form-kit';
import { ROLES } from '../users/roles';

const PATHS = ['input.name', 'input.role', 'input.scopes'];

const SCOPE_LABELS = { REVIEW: 'claims and decides review items' } as const;

/** Roles whose keys may be given the review scope: the roles that review. */
const REVIEWING_ROLES: readonly Role[] = ['ADMIN', 'MODERATOR'];

/** API keys for partners and scripts: the secret is shown once, at creation. */
export function ApiKeyManagement() {
  const { apiKeys, fetching, error, refresh } = useApiKeys();
  const [createState, createKey] = useCreateApiKey();
  const [revokeState, revokeKey] = useRevokeApiKey(refresh);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('MODERATOR');
  const [mayReview, setMayReview] = useState(false);
  const canReview = REVIEWING_ROLES.includes(role);
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const problems = fieldProblems(createState.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const scopes = mayReview && canReview ? (['REVIEW'] as const) : [];
    const result = await createKey({ input: { name: name.trim(), role, scopes: [...scopes] } });
    if (!result) return;
    setCreated({ name: result.createApiKey.apiKey.name, secret: result.createApiKey.secret });
    setName('');
    setMayReview(false);
    refresh();
  }

  async function revoke(apiKeyId: string, keyName: string) {
    if (
      !confirmAction(`Revoke the API key “${keyName}”? Requests with it fail at once; this cannot be undone.`)
    )
      return;
    await revokeKey({ apiKeyId });
  }

  return (
    <section className="page admin-page" aria-labelledby="api-keys-title">
      <h1 id="api-keys-title">API keys</h1>
      {created && (
        <SecretOnce
          title={`Secret of the API key “${created.name}”`}
          secret={created.secret}
          onDismiss={() => setCreated(null)}
        >
          <p>
            Send it as <code>Authorization: Bearer &lt;secret&gt;</code>.
          </p>
        </SecretOnce>
      )}
      <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="api-key-new-title">
        <h2 id="api-key-new-title">Create an API key</h2>
        <div className="form-grid">
          <Field label="Key name" path="input.name" problems={problems} hint="Who or what uses it">
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </Field>
          <Field label="Role" path="input.role" problems={problems} hint="What requests with this key may do">
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {value.toLowerCase()}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <label className="inline">
          <input
            type="checkbox"
            checked={mayReview && canReview}
            disabled={!canReview}
            onChange={(e) => setMayReview(e.target.checked)}
          />
          May claim and decide review items{' '}
          <span className="muted">
            {canReview
              ? '(a partner’s review tool; decisions are recorded as this key’s)'
              : '(only admin and moderator keys)'}
          </span>
        </label>
        <FieldErrors problems={problems} path="input.scopes" />
        <FormActions
          problems={problems}
          paths={PATHS}
          busy={createState.fetching}
          busyLabel="Creating…"
          label="Create API key"
        />
      </form>
      <DataTable
        rows={apiKeys}
        rowKey={(key) => key.id}
        query={{ fetching, error, retry: refresh }}
        empty="No API keys yet."
        columns={[
          { header: 'Name', rowHeader: true, cell: (key) => key.name },
          { header: 'Key', cell: (key) => <code>vgk_{key.prefix}_…</code> },
          { header: 'Role', cell: (key) => key.role.toLowerCase() },
          {
            header: 'Scopes',
            cell: (key) =>
              key.scopes.length ? (
                key.scopes.map((scope) => (
                  <span key={scope} className="badge">
                    {SCOPE_LABELS[scope]}
                  </span>
                ))
              ) : (
                <span className="muted">none</span>
              ),
          },
          { header: 'Created', cell: (key) => formatTime(key.createdAt) },
          { header: 'Last used', cell: (key) => (key.lastUsedAt ? formatTime(key.lastUsedAt) : 'never') },
          {
            header: 'State',
            cell: (key) =>
              key.revokedAt ? (
                <span className="badge status-DEAD">revoked {formatTime(key.revokedAt)}</span>
              ) : (
                <RowAction
                  danger
                  disabled={revokeState.fetching}
                  label={`Revoke ${key.name}`}
                  onClick={() => void revoke(key.id, key.name)}
                >
                  Revoke
                </RowAction>
              ),
          },
        ]}
      />
    </section>
  );
}
