import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import {
  AdminPolicyReasonsQuery,
  ArchivePolicyReasonMutation,
  CreatePolicyReasonMutation,
} from './policy-reasons.documents';

export type AdminPolicyReason = ResultOf<typeof AdminPolicyReasonsQuery>['policyReasons'][number];

/** Every policy reason of the tenant, archived ones included. */
export function useAdminPolicyReasons() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: AdminPolicyReasonsQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { reasons: data?.policyReasons, fetching, error, refresh };
}

export function useCreatePolicyReason() {
  return useMutationToast(CreatePolicyReasonMutation, () => 'Policy reason added');
}

export function useArchivePolicyReason() {
  return useMutationToast(ArchivePolicyReasonMutation, () => 'Policy reason archived');
}
