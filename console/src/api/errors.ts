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
