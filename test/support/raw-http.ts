import type { GraphQLResponse, TestApi } from './api-harness';

/** A raw HTTP answer: status, headers and the body (parsed as JSON when it is JSON). */
export interface RawResponse<T = Record<string, unknown>> extends GraphQLResponse<T> {
  headers: Headers;
  text: string;
}

/** POSTs a body exactly as given (which may be invalid JSON) to /graphql. */
export async function postRaw<T = Record<string, unknown>>(
  api: Pick<TestApi, 'url'>,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse<T>> {
  const response = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return parse<T>(response);
}

/** A GraphQL request with any headers (x-api-key, x-forwarded-for, x-request-id, …). */
export function gqlWithHeaders<T = Record<string, unknown>>(
  api: Pick<TestApi, 'url'>,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<RawResponse<T>> {
  return postRaw<T>(api, JSON.stringify({ query, variables }), headers);
}

export async function getRaw(api: Pick<TestApi, 'url'>, path: string): Promise<RawResponse> {
  return parse(await fetch(`${api.url}${path}`));
}

async function parse<T>(response: Response): Promise<RawResponse<T>> {
  const text = await response.text();
  let body: Omit<GraphQLResponse<T>, 'status'> = {};
  try {
    body = JSON.parse(text) as Omit<GraphQLResponse<T>, 'status'>;
  } catch {
    // not JSON (e.g. /metrics); the text is there
  }
  return { ...body, status: response.status, headers: response.headers, text };
}

export const bearer = (credential: string): Record<string, string> => ({
  authorization: `Bearer ${credential}`,
});

/** The `fields` of the first error's extensions (BAD_USER_INPUT), or [] when there are none. */
export function fieldsOf(response: GraphQLResponse<unknown>): string[] {
  const fields = response.errors?.[0]?.extensions?.fields as { field: string }[] | undefined;
  return (fields ?? []).map((problem) => problem.field);
}
