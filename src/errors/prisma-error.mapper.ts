import { conflict, DomainError, ErrorReason, notFound } from './domain-error';

interface PrismaKnownError {
  code: string;
  meta?: {
    target?: unknown;
    modelName?: string;
    driverAdapterError?: { cause?: { kind?: string; constraint?: { fields?: string[]; index?: string } } };
  };
}

/** Errors raised by the pg driver adapter itself, e.g. a serialization failure at COMMIT. */
interface DriverAdapterError {
  name: 'DriverAdapterError';
  cause?: { kind?: string };
}

function isDriverAdapterError(error: unknown): error is DriverAdapterError {
  return (
    typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'DriverAdapterError'
  );
}

/** Column names from a unique index name such as `User_tenantId_email_key`. */
function fieldsOfIndex(index: string | undefined): string[] {
  const match = /^[A-Za-z]+_(.+)_key$/.exec(index ?? '');
  return match ? match[1]!.split('_') : [];
}

const concurrentChange = () =>
  conflict('A concurrent change got there first; try again', ErrorReason.CONCURRENT_CHANGE);

function isPrismaKnownError(error: unknown): error is PrismaKnownError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'string' &&
    /^P\d{4}$/.test((error as { code: string }).code)
  );
}

/**
 * A transaction that lost a race with another one (serialization failure or deadlock), whether the
 * driver reported it at COMMIT, on a model query (P2034) or on a raw statement (P2010).
 */
export function isWriteConflict(error: unknown): boolean {
  if (isDriverAdapterError(error)) return error.cause?.kind === 'TransactionWriteConflict';
  if (!isPrismaKnownError(error)) return false;
  return error.code === 'P2034' || error.meta?.driverAdapterError?.cause?.kind === 'TransactionWriteConflict';
}

/** Turns the Prisma errors that users can cause (duplicates, vanished rows) into domain errors. */
export function mapPrismaError(error: unknown, entity: string): unknown {
  if (isWriteConflict(error)) return concurrentChange();
  if (!isPrismaKnownError(error)) return error;
  if (error.code === 'P2002') {
    const constraint = error.meta?.driverAdapterError?.cause?.constraint;
    const fields =
      constraint?.fields ??
      (Array.isArray(error.meta?.target)
        ? (error.meta.target as string[])
        : fieldsOfIndex(constraint?.index));
    const named = fields.filter((field) => field !== 'tenantId');
    return conflict(
      `A ${entity} with this ${named.join(', ') || 'value'} already exists`,
      ErrorReason.DUPLICATE,
    );
  }
  if (error.code === 'P2025') return notFound(entity);
  // A foreign key refuses the delete: other records (incidents, analyses) still refer to the row.
  if (error.code === 'P2003') {
    return conflict(
      `This ${entity} is still referred to by other records (such as incidents); disable it instead`,
      ErrorReason.STILL_REFERENCED,
    );
  }
  return error;
}

export async function withPrismaErrors<T>(entity: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const mapped = mapPrismaError(error, entity);
    if (mapped instanceof DomainError) throw mapped;
    throw error;
  }
}
