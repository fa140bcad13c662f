import { useState, type FormEvent } from 'react';
import type { Role } from '../../auth/session';
import { DataTable, RowAction } from '../../components/data-table';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from './use-api-keys';
import { formatTime } from '../../lib/format';
import { confirmAction, Field, fieldProblems, FormActions, SecretOnce } from '../../components/form-kit';
import { ROLES } from '../users/roles';

const PATHS = ['input.name', 'input.role'];

/** API keys for partners and scripts: the secret is shown once, at creation. */
export function ApiKeyManagement() {
  const { apiKeys, fetching, error, refresh } = useApiKeys();
  const [createState, createKey] = useCreateApiKey();
  const [revokeState, revokeKey] = useRevokeApiKey(refresh);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('MODERATOR');
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const problems = fieldProblems(createState.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await createKey({ input: { name: name.trim(), role } });
    if (!result) return;
    setCreated({ name: result.createApiKey.apiKey.name, secret: result.createApiKey.secret });
    setName('');
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
