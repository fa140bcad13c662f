import { useCallback } from 'react';
import { toast } from 'sonner';
import { useMutation, type AnyVariables, type TypedDocumentNode, type OperationResult } from 'urql';
import { describeError } from '../api/errors';

/**
 * A mutation whose outcome is always told to the user: a toast that confirms it, or one that
 * explains the failure with the API's message and code. `refresh`, when given, re-reads what the
 * mutation changed once it is answered (after a failure too: the row may have changed meanwhile).
 * Returns the data, or null on failure.
 */
export function useMutationToast<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  success: string | ((data: Data) => string),
  refresh?: () => void,
) {
  const [state, execute] = useMutation(document);
  const run = useCallback(
    async (variables: Variables): Promise<Data | null> => {
      const result: OperationResult<Data, Variables> = await execute(variables);
      if (result.error || !result.data) {
        toast.error(describeError(result.error) || 'The change was not saved');
        refresh?.();
        return null;
      }
      toast.success(typeof success === 'function' ? success(result.data) : success);
      refresh?.();
      return result.data;
    },
    [execute, success, refresh],
  );
  return [state, run] as const;
}
