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
