import { ChangePasswordForm } from '../../features/account/change-password-form';

export function PasswordPage() {
  return (
    <section className="page admin-page" aria-labelledby="account-title">
      <h1 id="account-title">Your password</h1>
      <ChangePasswordForm />
    </section>
  );
}
