import { useState, type FormEvent } from 'react';
import type { Role } from '../../auth/session';
import { QueryState } from '../../components/states';
import { useApiKeys, useCreateApiKey, useRevokeApiKey } from './use-api-keys';
import { formatTime } from '../../lib/format';
import { confirmAction, Field, fieldProblems, OtherProblems, SecretOnce } from '../../components/form-kit';
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
        <OtherProblems problems={problems} paths={PATHS} />
        <div className="toolbar">
          <button type="submit" className="primary" disabled={createState.fetching}>
            {createState.fetching ? 'Creating…' : 'Create API key'}
          </button>
        </div>
      </form>
      <QueryState
        fetching={fetching}
        error={error}
        data={apiKeys}
        retry={refresh}
        isEmpty={(keys) => keys.length === 0}
        empty="No API keys yet."
      >
        {(keys) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key.id}>
                  <th scope="row">{key.name}</th>
                  <td>
                    <code>vgk_{key.prefix}_…</code>
                  </td>
                  <td>{key.role.toLowerCase()}</td>
                  <td>{formatTime(key.createdAt)}</td>
                  <td>{key.lastUsedAt ? formatTime(key.lastUsedAt) : 'never'}</td>
                  <td>
                    {key.revokedAt ? (
                      <span className="badge status-DEAD">revoked {formatTime(key.revokedAt)}</span>
                    ) : (
                      <button
                        type="button"
                        className="danger"
                        disabled={revokeState.fetching}
                        aria-label={`Revoke ${key.name}`}
                        onClick={() => void revoke(key.id, key.name)}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </section>
  );
}
