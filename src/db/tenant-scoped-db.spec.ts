import { Prisma } from '../generated/prisma/client';
import { scopeArgs, TENANT_OWNED_MODELS, TenantScopeViolation } from './tenant-scoped-db';

const TENANT = 'tenant-a';
const OTHER = 'tenant-b';

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

describe('TENANT_OWNED_MODELS', () => {
  // Read from the generated client, so a new model with a tenantId column cannot be forgotten.
  const modelsWithTenantId = Object.values(Prisma.ModelName).filter((model) => {
    const fields = (Prisma as unknown as Record<string, Record<string, string> | undefined>)[
      `${model}ScalarFieldEnum`
    ];
    return fields !== undefined && 'tenantId' in fields;
  });

  it('lists exactly the models that have a tenantId column', () => {
    expect(modelsWithTenantId.length).toBeGreaterThan(5);
    expect([...TENANT_OWNED_MODELS].sort()).toEqual([...modelsWithTenantId].sort());
    expect(TENANT_OWNED_MODELS.has('Tenant')).toBe(false);
  });
});

describe('scopeArgs', () => {
  describe('filtered operations', () => {
    it.each([
      'findUnique',
      'findUniqueOrThrow',
      'findFirst',
      'findFirstOrThrow',
      'findMany',
      'count',
      'aggregate',
      'groupBy',
      'delete',
      'deleteMany',
    ])('%s gets tenantId in its filter and keeps the rest', (operation) => {
      const args = { where: { id: 'stream-1', name: { contains: 'cam' } }, take: 5, orderBy: { id: 'asc' } };
      expect(scopeArgs('Stream', operation, args, TENANT)).toEqual({
        where: { id: 'stream-1', name: { contains: 'cam' }, tenantId: TENANT },
        take: 5,
        orderBy: { id: 'asc' },
      });
    });

    it.each(['findMany', 'count', 'deleteMany', 'updateMany'])(
      '%s without args or without a filter is still confined to the tenant',
      (operation) => {
        expect(scopeArgs('Rule', operation, undefined, TENANT).where).toEqual({ tenantId: TENANT });
        expect(scopeArgs('Rule', operation, {}, TENANT).where).toEqual({ tenantId: TENANT });
        expect(scopeArgs('Rule', operation, { where: undefined }, TENANT).where).toEqual({
          tenantId: TENANT,
        });
      },
    );

    it.each(['update', 'updateMany', 'updateManyAndReturn'])(
      '%s gets tenantId in its filter and keeps its data',
      (operation) => {
        const args = { where: { id: 'u1' }, data: { name: 'new name' } };
        expect(scopeArgs('User', operation, args, TENANT)).toEqual({
          where: { id: 'u1', tenantId: TENANT },
          data: { name: 'new name' },
        });
      },
    );

    it('accepts a filter that already names the same tenant', () => {
      expect(scopeArgs('Stream', 'findMany', { where: { tenantId: TENANT } }, TENANT)).toEqual({
        where: { tenantId: TENANT },
      });
    });

    it.each(['findUnique', 'findFirst', 'findMany', 'count', 'aggregate', 'groupBy', 'delete', 'deleteMany'])(
      '%s throws when the filter names another tenant',
      (operation) => {
        expect(() =>
          scopeArgs('Stream', operation, { where: { id: 's1', tenantId: OTHER } }, TENANT),
        ).toThrow(TenantScopeViolation);
      },
    );

    it('throws on a tenantId filter that is an operator object, even one naming the same tenant', () => {
      expect(() =>
        scopeArgs('Stream', 'findMany', { where: { tenantId: { in: [TENANT, OTHER] } } }, TENANT),
      ).toThrow(TenantScopeViolation);
      expect(() => scopeArgs('Stream', 'findMany', { where: { tenantId: { not: TENANT } } }, TENANT)).toThrow(
        TenantScopeViolation,
      );
    });

    it.each(['update', 'updateMany', 'updateManyAndReturn'])(
      '%s throws when the data would move a row to another tenant',
      (operation) => {
        expect(() =>
          scopeArgs('Stream', operation, { where: { id: 's1' }, data: { tenantId: OTHER } }, TENANT),
        ).toThrow(TenantScopeViolation);
        expect(() =>
          scopeArgs(
            'Stream',
            operation,
            { where: { id: 's1' }, data: { tenant: { connect: { id: OTHER } } } },
            TENANT,
          ),
        ).toThrow(TenantScopeViolation);
      },
    );

    it('update throws when the filter names another tenant', () => {
      expect(() =>
        scopeArgs('Stream', 'update', { where: { id: 's1', tenantId: OTHER }, data: { name: 'x' } }, TENANT),
      ).toThrow(TenantScopeViolation);
    });

    it('update accepts data naming the same tenant', () => {
      expect(
        scopeArgs('Stream', 'update', { where: { id: 's1' }, data: { tenantId: TENANT, name: 'x' } }, TENANT),
      ).toEqual({ where: { id: 's1', tenantId: TENANT }, data: { tenantId: TENANT, name: 'x' } });
    });

    it('names the model in the violation', () => {
      expect(() => scopeArgs('ApiKey', 'findFirst', { where: { tenantId: OTHER } }, TENANT)).toThrow(
        /ApiKey/,
      );
    });
  });

  describe('creates', () => {
    it('create gets tenantId in its data', () => {
      expect(
        scopeArgs('Stream', 'create', { data: { name: 'cam 1' }, select: { id: true } }, TENANT),
      ).toEqual({ data: { name: 'cam 1', tenantId: TENANT }, select: { id: true } });
    });

    it('create accepts data naming the same tenant', () => {
      expect(scopeArgs('Stream', 'create', { data: { name: 'x', tenantId: TENANT } }, TENANT).data).toEqual({
        name: 'x',
        tenantId: TENANT,
      });
    });

    it('create without data still gets tenantId', () => {
      expect(scopeArgs('AuditEvent', 'create', {}, TENANT).data).toEqual({ tenantId: TENANT });
    });

    it('create throws when the data names another tenant', () => {
      expect(() => scopeArgs('Stream', 'create', { data: { name: 'x', tenantId: OTHER } }, TENANT)).toThrow(
        TenantScopeViolation,
      );
    });

    it('create throws when the data sets the tenant relation, even to the same tenant', () => {
      expect(() =>
        scopeArgs('Stream', 'create', { data: { name: 'x', tenant: { connect: { id: OTHER } } } }, TENANT),
      ).toThrow(TenantScopeViolation);
      expect(() =>
        scopeArgs('Stream', 'create', { data: { name: 'x', tenant: { connect: { id: TENANT } } } }, TENANT),
      ).toThrow(TenantScopeViolation);
    });

    it.each(['createMany', 'createManyAndReturn'])('%s gets tenantId on every row', (operation) => {
      expect(
        scopeArgs(
          'Rule',
          operation,
          { data: [{ name: 'r1' }, { name: 'r2' }], skipDuplicates: true },
          TENANT,
        ),
      ).toEqual({
        data: [
          { name: 'r1', tenantId: TENANT },
          { name: 'r2', tenantId: TENANT },
        ],
        skipDuplicates: true,
      });
    });

    it('createMany accepts a single row object and returns it as a list', () => {
      expect(scopeArgs('Rule', 'createMany', { data: { name: 'r1' } }, TENANT).data).toEqual([
        { name: 'r1', tenantId: TENANT },
      ]);
    });

    it.each(['createMany', 'createManyAndReturn'])(
      '%s throws when any row names another tenant or sets the relation',
      (operation) => {
        expect(() =>
          scopeArgs('Rule', operation, { data: [{ name: 'r1' }, { name: 'r2', tenantId: OTHER }] }, TENANT),
        ).toThrow(TenantScopeViolation);
        expect(() =>
          scopeArgs(
            'Rule',
            operation,
            { data: [{ name: 'r1', tenant: { connect: { id: TENANT } } }] },
            TENANT,
          ),
        ).toThrow(TenantScopeViolation);
      },
    );
  });

  describe('upsert', () => {
    it('scopes the filter and the created row', () => {
      expect(
        scopeArgs(
          'Session',
          'upsert',
          { where: { id: 's1' }, create: { id: 's1', userId: 'u1' }, update: { expiresAt: 'later' } },
          TENANT,
        ),
      ).toEqual({
        where: { id: 's1', tenantId: TENANT },
        create: { id: 's1', userId: 'u1', tenantId: TENANT },
        update: { expiresAt: 'later' },
      });
    });

    it('refuses a filter that names another tenant, like every other operation', () => {
      expect(() =>
        scopeArgs(
          'Session',
          'upsert',
          { where: { id: 's1', tenantId: OTHER }, create: {}, update: {} },
          TENANT,
        ),
      ).toThrow(TenantScopeViolation);
    });

    it('throws when create names another tenant or the relation', () => {
      expect(() =>
        scopeArgs(
          'Session',
          'upsert',
          { where: { id: 's1' }, create: { tenantId: OTHER }, update: {} },
          TENANT,
        ),
      ).toThrow(TenantScopeViolation);
      expect(() =>
        scopeArgs(
          'Session',
          'upsert',
          { where: { id: 's1' }, create: { tenant: { connect: { id: OTHER } } }, update: {} },
          TENANT,
        ),
      ).toThrow(TenantScopeViolation);
    });

    it('throws when update would move the row to another tenant', () => {
      expect(() =>
        scopeArgs(
          'Session',
          'upsert',
          { where: { id: 's1' }, create: {}, update: { tenantId: OTHER } },
          TENANT,
        ),
      ).toThrow(TenantScopeViolation);
      expect(() =>
        scopeArgs(
          'Session',
          'upsert',
          { where: { id: 's1' }, create: {}, update: { tenant: { connect: { id: OTHER } } } },
          TENANT,
        ),
      ).toThrow(TenantScopeViolation);
    });
  });

  describe('operations that cannot be scoped', () => {
    it.each([
      '$queryRaw',
      '$executeRaw',
      '$queryRawUnsafe',
      'findRaw',
      'aggregateRaw',
      'someFutureOperation',
      '',
    ])('%s throws', (operation) => {
      expect(() => scopeArgs('Stream', operation, {}, TENANT)).toThrow(TenantScopeViolation);
    });

    it('names the model and the operation', () => {
      expect(() => scopeArgs('Rule', 'findRaw', {}, TENANT)).toThrow('Rule.findRaw is not available');
    });
  });

  describe('the input', () => {
    it.each([
      ['findMany', { where: { id: 'a', AND: [{ name: 'x' }] }, take: 3 }],
      ['update', { where: { id: 'a' }, data: { name: 'x' } }],
      ['create', { data: { name: 'x', nested: { a: 1 } } }],
      ['createMany', { data: [{ name: 'x' }, { name: 'y' }] }],
      ['upsert', { where: { id: 'a' }, create: { name: 'x' }, update: { name: 'y' } }],
    ])('%s does not mutate its arguments', (operation, args) => {
      const before = structuredClone(args);
      // A frozen input would make any attempted mutation throw in strict mode.
      const frozen = deepFreeze(structuredClone(args));
      const scoped = scopeArgs('Stream', operation, frozen, TENANT);
      expect(frozen).toEqual(before);
      expect(scoped).not.toBe(frozen);
      expect(JSON.stringify(scoped)).toContain(TENANT);
    });
  });
});
