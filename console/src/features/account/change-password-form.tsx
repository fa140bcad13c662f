import { useState, type FormEvent } from 'react';
import { Field, fieldProblems, FormActions } from '../../components/form-kit';
import { useChangePassword } from './use-change-password';

const PATHS = ['currentPassword', 'newPassword', 'repeatPassword'];

/** The signed-in person's new password: the current one, the new one twice. */
export function ChangePasswordForm({ currentLabel = 'Current password' }: { currentLabel?: string }) {
  const [state, changePassword] = useChangePassword();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const problems = [
    ...fieldProblems(state.error),
    ...(mismatch ? [{ field: 'repeatPassword', message: 'is not the same as the new password' }] : []),
  ];

  async function submit(event: FormEvent) {
    event.preventDefault();
    setMismatch(next !== repeat);
    if (next !== repeat) return;
    if (await changePassword(current, next)) {
      setCurrent('');
      setNext('');
      setRepeat('');
    }
  }

  return (
    <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <p className="muted">
        Every other session of yours is signed out; this one goes on with a new sign-in.
      </p>
      <div className="form-grid">
        <Field label={currentLabel} path="currentPassword" problems={problems}>
          <input
            type="password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            autoComplete="current-password"
            required
          />
        </Field>
        <Field label="New password" path="newPassword" problems={problems} hint="At least 12 characters">
          <input
            type="password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
            autoComplete="new-password"
            required
          />
        </Field>
        <Field label="New password again" path="repeatPassword" problems={problems}>
          <input
            type="password"
            value={repeat}
            onChange={(e) => setRepeat(e.target.value)}
            autoComplete="new-password"
            required
          />
        </Field>
      </div>
      <FormActions
        problems={problems}
        paths={PATHS}
        busy={state.fetching}
        busyLabel="Changing…"
        label="Change password"
      />
    </form>
  );
}
