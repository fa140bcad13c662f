/**
 * Coded domain errors. Services throw these; the GraphQL layer maps them to `extensions.code`
 * in one place (graphql-error.mapper.ts), and the CLI prints their message.
 */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  CONFLICT = 'CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

/**
 * Why, within its code, an error happened: clients branch on this (`extensions.reason`) instead of
 * parsing messages, which are for people and may change. A reason is optional; add one whenever a
 * client could act differently on it.
 */
export const ErrorReason = {
  // CONFLICT: the state of a review item or other resource does not allow the change.
  ALREADY_RESOLVED: 'ALREADY_RESOLVED',
  CLAIMED_BY_OTHER: 'CLAIMED_BY_OTHER',
  CLAIM_EXPIRED: 'CLAIM_EXPIRED',
  NOT_CLAIMED: 'NOT_CLAIMED',
  INVALID_TRANSITION: 'INVALID_TRANSITION',
  ALREADY_REVOKED: 'ALREADY_REVOKED',
  // CONFLICT: uniqueness, references and races.
  DUPLICATE: 'DUPLICATE',
  STILL_REFERENCED: 'STILL_REFERENCED',
  CONCURRENT_CHANGE: 'CONCURRENT_CHANGE',
  // CONFLICT: the caller edited an older version than the current one (load it again, then change it).
  STALE_VERSION: 'STALE_VERSION',
  // CONFLICT: a tenant's quota or budget is used up.
  QUOTA: 'QUOTA',
  // CONFLICT: the operator has not configured what the operation needs.
  NOT_CONFIGURED: 'NOT_CONFIGURED',
  // CONFLICT: an admin may not lock themselves out.
  SELF_CHANGE: 'SELF_CHANGE',
  // FORBIDDEN: the session comes from a login with a password an admin reset; it may only change
  // the password (changePassword), which gives a full session.
  PASSWORD_CHANGE_REQUIRED: 'PASSWORD_CHANGE_REQUIRED',
  // BAD_USER_INPUT: the current password given to changePassword is not the caller's.
  WRONG_PASSWORD: 'WRONG_PASSWORD',
  // UNAUTHENTICATED: no credential, or one that is unknown, expired or revoked (log in again).
  CREDENTIAL_REQUIRED: 'CREDENTIAL_REQUIRED',
  CREDENTIAL_INVALID: 'CREDENTIAL_INVALID',
  LOGIN_FAILED: 'LOGIN_FAILED',
  // RATE_LIMITED: which budget ran out.
  REQUEST_RATE: 'REQUEST_RATE',
  LOGIN_RATE: 'LOGIN_RATE',
  // RATE_LIMITED: too many requests without a valid credential (none, or a refused one) from one
  // client address.
  ANONYMOUS_RATE: 'ANONYMOUS_RATE',
  // RATE_LIMITED: the connection or credential already holds its most subscriptions (end one first).
  SUBSCRIPTION_LIMIT: 'SUBSCRIPTION_LIMIT',
  // BAD_USER_INPUT: a subscription's `after` cursor is too far behind to replay (query, then
  // subscribe without it).
  REPLAY_TOO_LONG: 'REPLAY_TOO_LONG',
  // BAD_USER_INPUT: the audit chain is longer than an inline verification may walk (start a
  // verification job: startAuditChainVerification).
  AUDIT_CHAIN_TOO_LONG: 'AUDIT_CHAIN_TOO_LONG',
  // RATE_LIMITED: a verification of the tenant's audit chain is already running (wait for it).
  VERIFICATION_RUNNING: 'VERIFICATION_RUNNING',
  // BAD_USER_INPUT: GraphQL refused the document before it ran (names as Apollo reports them).
  GRAPHQL_PARSE_FAILED: 'GRAPHQL_PARSE_FAILED',
  GRAPHQL_VALIDATION_FAILED: 'GRAPHQL_VALIDATION_FAILED',
  BAD_REQUEST: 'BAD_REQUEST',
  PERSISTED_QUERY_NOT_SUPPORTED: 'PERSISTED_QUERY_NOT_SUPPORTED',
  OPERATION_RESOLUTION_FAILURE: 'OPERATION_RESOLUTION_FAILURE',
  // BAD_USER_INPUT: the HTTP request itself (body too large, not JSON).
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  BODY_NOT_JSON: 'BODY_NOT_JSON',
  // BAD_USER_INPUT: input (GraphQL variables) nested deeper than the API accepts.
  INPUT_TOO_DEEP: 'INPUT_TOO_DEEP',
} as const;

export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

const REASONS = new Set<string>(Object.values(ErrorReason));

export function isErrorReason(value: unknown): value is ErrorReason {
  return typeof value === 'string' && REASONS.has(value);
}

export interface FieldProblem {
  /** Dotted path of the offending input field, e.g. `input.sourceUrl`. */
  field: string;
  message: string;
}

export interface DomainErrorDetails {
  fields?: FieldProblem[];
  retryAfterSeconds?: number;
  reason?: ErrorReason;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get reason(): ErrorReason | undefined {
    return this.details.reason;
  }
}

export const badInput = (fields: FieldProblem[], reason?: ErrorReason): DomainError =>
  new DomainError(
    ErrorCode.BAD_USER_INPUT,
    fields.map((problem) => `${problem.field}: ${problem.message}`).join('; '),
    { fields, ...(reason ? { reason } : {}) },
  );

export const notFound = (entity: string): DomainError =>
  new DomainError(ErrorCode.NOT_FOUND, `${entity} not found`);

export const forbidden = (
  message = 'Your role does not allow this operation',
  reason?: ErrorReason,
): DomainError => new DomainError(ErrorCode.FORBIDDEN, message, reason ? { reason } : {});

export const unauthenticated = (message = 'Authentication required', reason?: ErrorReason): DomainError =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message, reason ? { reason } : {});

export const conflict = (message: string, reason?: ErrorReason): DomainError =>
  new DomainError(ErrorCode.CONFLICT, message, reason ? { reason } : {});

export const rateLimited = (message: string, retryAfterSeconds: number, reason?: ErrorReason): DomainError =>
  new DomainError(ErrorCode.RATE_LIMITED, message, { retryAfterSeconds, ...(reason ? { reason } : {}) });
