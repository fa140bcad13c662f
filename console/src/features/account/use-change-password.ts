import { useCallback } from 'react';
import { useSession, useSignedIn } from '../../auth/session';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import { ChangePasswordMutation } from './account.documents';

/**
 * Changes the signed-in person's password. The API ends every session of theirs, this one
 * included, and answers a new one, which replaces the stored session (in every tab).
 */
export function useChangePassword() {
  const { signIn } = useSession();
  const { tenantSlug } = useSignedIn();
  const [state, change] = useMutationToast(
    ChangePasswordMutation,
    'Password changed; your other sessions are signed out',
  );
  const run = useCallback(
    async (currentPassword: string, newPassword: string): Promise<boolean> => {
      const result = await change({ currentPassword, newPassword });
      if (!result) return false;
      const { token, expiresAt, user, passwordChangeRequired } = result.changePassword;
      signIn({ token, expiresAt, tenantSlug, user, passwordChangeRequired });
      return true;
    },
    [change, signIn, tenantSlug],
  );
  return [state, run] as const;
}
