import { useState, type FormEvent } from 'react';
import { useSignedIn, type Role } from '../../auth/session';
import { ROLE_HELP, ROLES } from './roles';
import { DataTable, RowAction, RowActions } from '../../components/data-table';
import { useCreateUser, useDeleteUser, useResetUserPassword, useUpdateUser, useUsers } from './use-users';
import { formatTime } from '../../lib/format';
import { confirmAction, Field, fieldProblems, FormActions, SecretOnce } from '../../components/form-kit';
import { ConfirmDialog } from '../../components/confirm-dialog';

const PATHS = ['input.email', 'input.role', 'input.password'];

/** The tenant's users: create one, change a role, reset a password, disable or delete. */
export function UserManagement() {
  const { user: me } = useSignedIn();
  const { users: loaded, fetching, error, refresh } = useUsers();
  const [createState, createUser] = useCreateUser();
  const [updateState, updateUser] = useUpdateUser(refresh);
  const [deleteState, deleteUser] = useDeleteUser(refresh);
  const [resetState, resetPassword] = useResetUserPassword(refresh);
  const [resetting, setResetting] = useState<{ id: string; email: string } | null>(null);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('MODERATOR');
  const [password, setPassword] = useState('');
  const [created, setCreated] = useState<{ email: string; password: string; reset?: boolean } | null>(null);
  const problems = fieldProblems(createState.error);
  const busy = updateState.fetching || deleteState.fetching || resetState.fetching;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await createUser({
      input: { email: email.trim(), role, password: password || undefined },
    });
    if (!result) return;
    const initialPassword = result.createUser.initialPassword;
    setCreated(initialPassword ? { email: result.createUser.user.email, password: initialPassword } : null);
    setEmail('');
    setPassword('');
    refresh();
  }

  async function setUserRole(userId: string, email: string, next: Role) {
    if (!confirmAction(`Change ${email}'s role to ${next.toLowerCase()}?`)) return refresh();
    await updateUser({ userId, input: { role: next } });
  }

  async function setDisabled(userId: string, email: string, disabled: boolean) {
    if (disabled && !confirmAction(`Disable ${email}? They cannot sign in and their sessions end at once.`))
      return;
    await updateUser({ userId, input: { disabled } });
  }

  async function confirmReset() {
    if (!resetting) return;
    const result = await resetPassword({ userId: resetting.id });
    setResetting(null);
    if (!result) return;
    const { user, temporaryPassword } = result.resetUserPassword;
    setCreated({ email: user.email, password: temporaryPassword, reset: true });
  }

  async function remove(userId: string, email: string) {
    if (!confirmAction(`Delete ${email}? This cannot be undone; their decisions stay in the audit log.`))
      return;
    await deleteUser({ userId });
  }

  return (
    <section className="page admin-page" aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      {created && (
        <SecretOnce
          title={`${created.reset ? 'Temporary' : 'Initial'} password for ${created.email}`}
          secret={created.password}
          onDismiss={() => setCreated(null)}
        >
          <p>
            Give it to them over a safe channel.
            {created.reset && ' They sign in with it and must then choose their own.'}
          </p>
        </SecretOnce>
      )}
      <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="user-new-title">
        <h2 id="user-new-title">Add a user</h2>
        <div className="form-grid">
          <Field label="E-mail" path="input.email" problems={problems}>
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </Field>
          <Field label="Role" path="input.role" problems={problems} hint={ROLE_HELP[role]}>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {value.toLowerCase()}
                </option>
              ))}
            </select>
          </Field>
          <Field
            label="Password (optional)"
            path="input.password"
            problems={problems}
            hint="At least 12 characters; leave empty to have one generated and shown once"
          >
            <input
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              autoComplete="new-password"
            />
          </Field>
        </div>
        <FormActions
          problems={problems}
          paths={PATHS}
          busy={createState.fetching}
          busyLabel="Adding…"
          label="Add user"
        />
      </form>
      <DataTable
        rows={loaded}
        rowKey={(user) => user.id}
        query={{ fetching, error, retry: refresh }}
        empty="No users."
        columns={[
          {
            header: 'E-mail',
            rowHeader: true,
            cell: (user) => (
              <>
                {user.email}
                {user.id === me.id && <span className="muted"> (you)</span>}
                {user.isPlatformAdmin && <span className="muted"> · platform admin</span>}
              </>
            ),
          },
          {
            header: 'Role',
            cell: (user) => (
              <select
                aria-label={`Role of ${user.email}`}
                value={user.role}
                disabled={busy || user.id === me.id}
                onChange={(e) => void setUserRole(user.id, user.email, e.target.value as Role)}
              >
                {ROLES.map((value) => (
                  <option key={value} value={value}>
                    {value.toLowerCase()}
                  </option>
                ))}
              </select>
            ),
          },
          {
            header: 'State',
            cell: (user) =>
              user.disabledAt ? (
                <span className="badge status-PAUSED">disabled {formatTime(user.disabledAt)}</span>
              ) : user.passwordChangeRequired ? (
                <span className="badge status-PAUSED">must change password</span>
              ) : (
                <span className="badge status-ACTIVE">active</span>
              ),
          },
          { header: 'Created', cell: (user) => formatTime(user.createdAt) },
          {
            header: 'Actions',
            cell: (user) => (
              <RowActions>
                {user.id !== me.id && (
                  <>
                    <RowAction
                      disabled={busy}
                      label={`${user.disabledAt ? 'Enable' : 'Disable'} ${user.email}`}
                      onClick={() => void setDisabled(user.id, user.email, !user.disabledAt)}
                    >
                      {user.disabledAt ? 'Enable' : 'Disable'}
                    </RowAction>
                    {/* A platform admin's password is reset only by a platform admin (the API says so too). */}
                    {(!user.isPlatformAdmin || me.isPlatformAdmin) && (
                      <RowAction
                        disabled={busy}
                        label={`Reset password of ${user.email}`}
                        onClick={() => setResetting({ id: user.id, email: user.email })}
                      >
                        Reset password
                      </RowAction>
                    )}
                    <RowAction
                      danger
                      disabled={busy}
                      label={`Delete ${user.email}`}
                      onClick={() => void remove(user.id, user.email)}
                    >
                      Delete
                    </RowAction>
                  </>
                )}
              </RowActions>
            ),
          },
        ]}
      />
      <ConfirmDialog
        open={resetting !== null}
        title="Reset this password?"
        confirmLabel="Reset password"
        danger
        busy={resetState.fetching}
        onConfirm={() => void confirmReset()}
        onCancel={() => setResetting(null)}
      >
        <p>
          <strong>{resetting?.email}</strong> is signed out everywhere at once. You get a temporary password,
          shown once, to give them; with it they can only choose a new password.
        </p>
      </ConfirmDialog>
    </section>
  );
}
