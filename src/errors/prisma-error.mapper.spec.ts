import { DomainError, ErrorCode, ErrorReason, isErrorReason } from './domain-error';
import { mapPrismaError } from './prisma-error.mapper';

const mapped = (error: unknown): DomainError => {
  const result = mapPrismaError(error, 'rule');
  if (!(result instanceof DomainError)) throw new Error('expected a DomainError');
  return result;
};

describe('mapPrismaError reasons', () => {
  it('names a unique violation DUPLICATE, with the fields but not the tenant', () => {
    const error = mapped({ code: 'P2002', meta: { target: ['tenantId', 'name'] } });
    expect(error.code).toBe(ErrorCode.CONFLICT);
    expect(error.reason).toBe(ErrorReason.DUPLICATE);
    expect(error.message).toBe('A rule with this name already exists');
  });

  it('names a refused delete STILL_REFERENCED', () => {
    expect(mapped({ code: 'P2003' }).reason).toBe(ErrorReason.STILL_REFERENCED);
  });

  it('names a lost race CONCURRENT_CHANGE, from the driver or from Prisma', () => {
    expect(mapped({ name: 'DriverAdapterError', cause: { kind: 'TransactionWriteConflict' } }).reason).toBe(
      ErrorReason.CONCURRENT_CHANGE,
    );
    expect(mapped({ code: 'P2034' }).reason).toBe(ErrorReason.CONCURRENT_CHANGE);
  });

  it('gives NOT_FOUND no reason, and leaves other errors alone', () => {
    expect(mapped({ code: 'P2025' }).reason).toBeUndefined();
    const other = new Error('boom');
    expect(mapPrismaError(other, 'rule')).toBe(other);
  });
});

describe('isErrorReason', () => {
  it('knows the declared reasons only', () => {
    expect(isErrorReason('ALREADY_RESOLVED')).toBe(true);
    expect(isErrorReason('already_resolved')).toBe(false);
    expect(isErrorReason(42)).toBe(false);
  });
});
