import { useSignedIn } from '../../auth/session';
import { ChangePasswordForm } from '../../features/account/change-password-form';

/**
 * What a person signed in with a password an admin reset sees, and all they see: their session
 * may only change the password, which then gives them a full one.
 */
export function PasswordRequiredPage() {
  const { user, tenantSlug, signOut } = useSignedIn();
  return (
    <main className="login" id="main">
      <section className="password-required" aria-labelledby="password-required-title">
        <h1 id="password-required-title">Choose a new password</h1>
        <p>
          An admin reset the password of <strong>{user.email}</strong> ({tenantSlug}). Enter the temporary
          password they gave you, then your own.
        </p>
        <ChangePasswordForm currentLabel="Temporary password" />
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      </section>
    </main>
  );
}
