import { useQuery } from 'urql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import {
  CreateUserMutation,
  DeleteUserMutation,
  ResetUserPasswordMutation,
  UpdateUserMutation,
  UsersQuery,
} from './users.documents';

/** The tenant's users. */
export function useUsers() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: UsersQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { users: data?.users.edges.map((edge) => edge.node), fetching, error, refresh };
}

/** Adds a user; the answer carries a generated password when none was given. */
export function useCreateUser(refresh?: () => void) {
  return useMutationToast(
    CreateUserMutation,
    (result) => `User ${result.createUser.user.email} created`,
    refresh,
  );
}

/** Changes a user's role, or disables or enables them. */
export function useUpdateUser(refresh?: () => void) {
  return useMutationToast(
    UpdateUserMutation,
    (result) =>
      result.updateUser.disabledAt
        ? `${result.updateUser.email} is disabled`
        : `${result.updateUser.email} is now ${result.updateUser.role.toLowerCase()}`,
    refresh,
  );
}

export function useDeleteUser(refresh?: () => void) {
  return useMutationToast(DeleteUserMutation, 'User deleted', refresh);
}

/** Replaces a user's password with a temporary one (in the answer, shown once) and signs them out everywhere. */
export function useResetUserPassword(refresh?: () => void) {
  return useMutationToast(
    ResetUserPasswordMutation,
    (result) => `${result.resetUserPassword.user.email} is signed out and must choose a new password`,
    refresh,
  );
}
