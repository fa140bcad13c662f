import { conflict, DomainError, notFound } from './domain-error';

interface PrismaKnownError {
  code: string;
  meta?: {
    target?: unknown;
    modelName?: string;
    driverAdapterError?: { cause?: { constraint?: { fields?: string[] } } };
  };
}

function isPrismaKnownError(error: unknown): error is PrismaKnownError {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    typeof (error as { code: unknown }).code === 'string' &&
    /^P\d{4}$/.test((error as { code: string }).code)
  );
}

/** Turns the Prisma errors that users can cause (duplicates, vanished rows) into domain errors. */
export function mapPrismaError(error: unknown, entity: string): unknown {
  if (!isPrismaKnownError(error)) return error;
  if (error.code === 'P2002') {
    const fields =
      error.meta?.driverAdapterError?.cause?.constraint?.fields ??
      (Array.isArray(error.meta?.target) ? (error.meta.target as string[]) : []);
    const named = fields.filter((field) => field !== 'tenantId');
    return conflict(`A ${entity} with this ${named.join(', ') || 'value'} already exists`);
  }
  if (error.code === 'P2025') return notFound(entity);
  // A serializable transaction lost a race with another one; the caller can simply retry.
  if (error.code === 'P2034') return conflict('A concurrent change got there first; try again');
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
