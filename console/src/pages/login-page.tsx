import { useState, type FormEvent } from 'react';
import { Client, fetchExchange } from 'urql';
import { describeError } from '../api/errors';
import { LoginMutation } from '../auth/auth.documents';
import { useSession } from '../auth/session';

// Login happens before there is a token, so it goes through a client of its own.
const anonymous = new Client({ url: '/graphql', exchanges: [fetchExchange] });

export function LoginPage() {
  const { signIn } = useSession();
  const [tenantSlug, setTenantSlug] = useState(() => localStorage.getItem('vigil.tenant') ?? '');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError('');
    const result = await anonymous
      .mutation(LoginMutation, { input: { tenantSlug: tenantSlug.trim(), email: email.trim(), password } })
      .toPromise();
    setBusy(false);
    if (result.error || !result.data) {
      setError(describeError(result.error) || 'Sign-in failed');
      return;
    }
    localStorage.setItem('vigil.tenant', tenantSlug.trim());
    const { token, expiresAt, user, passwordChangeRequired } = result.data.login;
    signIn({ token, expiresAt, tenantSlug: tenantSlug.trim(), user, passwordChangeRequired });
  }

  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Vigil console</h1>
        <label>
          Tenant
          <input
            value={tenantSlug}
            onChange={(e) => setTenantSlug(e.target.value)}
            required
            autoComplete="organization"
          />
        </label>
        <label>
          E-mail
          <input
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            required
            autoComplete="username"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
            autoComplete="current-password"
          />
        </label>
        {error && (
          <p role="alert" className="error-text">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
