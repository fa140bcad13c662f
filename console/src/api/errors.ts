import type { CombinedError } from 'urql';

/** The message a person should read for a failed operation, with the API's error code. */
export function describeError(error: CombinedError | Error | null | undefined): string {
  if (!error) return '';
  if ('graphQLErrors' in error && error.graphQLErrors.length > 0) {
    const first = error.graphQLErrors[0]!;
    const code = first.extensions?.code;
    return code ? `${first.message} (${String(code)})` : first.message;
  }
  if ('networkError' in error && error.networkError) return `Network error: ${error.networkError.message}`;
  return error.message;
}

/** The API's error code of a failed operation (NOT_FOUND, CONFLICT, FORBIDDEN, …), if any. */
export function errorCode(error: CombinedError | null | undefined): string | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Why, within its code, the API refused an operation (`extensions.reason`: ALREADY_RESOLVED, …). */
export function errorReason(error: CombinedError | null | undefined): string | undefined {
  const reason = error?.graphQLErrors[0]?.extensions?.reason;
  return typeof reason === 'string' ? reason : undefined;
}

/** What a moderator should do when a review item changed under them, by the API's reason. */
const REVIEW_REFUSALS: Record<string, string> = {
  CLAIMED_BY_OTHER: 'Another moderator holds this item: pick another one.',
  ALREADY_RESOLVED: 'This item has already been decided.',
  CLAIM_EXPIRED: 'Your claim ran out before this was saved: claim the item again, your reason is kept.',
  NOT_CLAIMED: 'Claim the item first, then decide.',
};

/** The message for a refused claim or decision: what to do next (by reason), then the API's words. */
export function describeReviewRefusal(error: CombinedError | null | undefined): string {
  const reason = errorReason(error);
  const guidance = reason ? REVIEW_REFUSALS[reason] : undefined;
  return guidance ? `${guidance} ${describeError(error)}` : describeError(error);
}

/** One problem the API found with an input field (BAD_USER_INPUT `extensions.fields`). */
export interface FieldProblem {
  /** Dotted path, e.g. `input.condition.all.0.label`. */
  field: string;
  message: string;
}

/** The field problems a failed mutation carries; empty for other errors. */
export function fieldProblems(error: CombinedError | null | undefined): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const graphQLError of error?.graphQLErrors ?? []) {
    const fields = graphQLError.extensions?.fields;
    if (!Array.isArray(fields)) continue;
    for (const entry of fields as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const { field, message } = entry as Record<string, unknown>;
      if (typeof field === 'string' && typeof message === 'string') problems.push({ field, message });
    }
  }
  return problems;
}
