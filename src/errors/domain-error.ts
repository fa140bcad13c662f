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

export interface FieldProblem {
  /** Dotted path of the offending input field, e.g. `input.sourceUrl`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { fields?: FieldProblem[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const badInput = (fields: FieldProblem[]): DomainError =>
  new DomainError(
    ErrorCode.BAD_USER_INPUT,
    fields.map((problem) => `${problem.field}: ${problem.message}`).join('; '),
    { fields },
  );

export const notFound = (entity: string): DomainError =>
  new DomainError(ErrorCode.NOT_FOUND, `${entity} not found`);

export const forbidden = (message = 'Your role does not allow this operation'): DomainError =>
  new DomainError(ErrorCode.FORBIDDEN, message);

export const unauthenticated = (message = 'Authentication required'): DomainError =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);

export const conflict = (message: string): DomainError => new DomainError(ErrorCode.CONFLICT, message);
