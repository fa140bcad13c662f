import { useQuery } from 'urql';
import type { ResultOf } from '../../api/graphql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import { LabelVocabularyQuery, SetCustomLabelsMutation } from './labels.documents';

export type LabelVocabulary = ResultOf<typeof LabelVocabularyQuery>['myTenant'];

/** The labels rules and template gates may name: COCO's and the tenant's own. */
export function useLabelVocabulary() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: LabelVocabularyQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { vocabulary: data?.myTenant, fetching, error, refresh };
}

/** Replaces the tenant's custom labels (admins). */
export function useSetCustomLabels(refresh?: () => void) {
  return useMutationToast(
    SetCustomLabelsMutation,
    (r) => `Custom labels saved (${r.setCustomLabels.customLabels.length})`,
    refresh,
  );
}
