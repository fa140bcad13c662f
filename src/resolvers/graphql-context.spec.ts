import type { PrismaClient } from '../db/prisma-client';
import { createTenantContext } from './graphql-context';

/** A stand-in client: the tenant-scoped extension becomes `scoped`, the tenant read is counted. */
function fakePrisma(analyses: { id: string; windowId: string }[]) {
  const findMany = jest.fn(async (args: { where: { windowId: { in: string[] } } }) =>
    analyses.filter((row) => args.where.windowId.in.includes(row.windowId)),
  );
  const findUniqueOrThrow = jest.fn(async ({ where }: { where: { id: string } }) => ({ id: where.id }));
  const scoped = { analysis: { findMany } };
  const prisma = { $extends: () => scoped, tenant: { findUniqueOrThrow } } as unknown as PrismaClient;
  return { prisma, findMany, findUniqueOrThrow };
}

const actor = (tenantId: string) => ({
  kind: 'user' as const,
  id: 'u',
  tenantId,
  role: 'MODERATOR' as const,
  isPlatformAdmin: false,
});

describe('request loaders', () => {
  it('reads the caller’s own tenant once per request, however many streams ask', async () => {
    const { prisma, findUniqueOrThrow } = fakePrisma([]);
    const { loaders } = createTenantContext(prisma, actor('tenant-1'));
    const tenants = await Promise.all([loaders!.ownTenant(), loaders!.ownTenant(), loaders!.ownTenant()]);
    expect(tenants.map((tenant) => tenant.id)).toEqual(['tenant-1', 'tenant-1', 'tenant-1']);
    expect(findUniqueOrThrow).toHaveBeenCalledTimes(1);
    expect(findUniqueOrThrow).toHaveBeenCalledWith({ where: { id: 'tenant-1' } });

    // Another request reads it again (settings may have changed in between).
    await createTenantContext(prisma, actor('tenant-1')).loaders!.ownTenant();
    expect(findUniqueOrThrow).toHaveBeenCalledTimes(2);
  });

  it('loads the analyses of a page of windows in one query, each window with its own rows', async () => {
    const rows = [
      { id: 'a3', windowId: 'w1' },
      { id: 'a2', windowId: 'w2' },
      { id: 'a1', windowId: 'w1' },
    ];
    const { prisma, findMany } = fakePrisma(rows);
    const { loaders } = createTenantContext(prisma, actor('tenant-2'));
    const [w1, w2, w3] = await Promise.all(
      ['w1', 'w2', 'w3'].map((id) => loaders!.analysesByWindow.load(id)),
    );
    expect(findMany).toHaveBeenCalledTimes(1);
    expect(findMany.mock.calls[0]![0]).toMatchObject({
      where: { windowId: { in: ['w1', 'w2', 'w3'] } },
      orderBy: { id: 'desc' },
    });
    expect(w1!.map((row) => row.id)).toEqual(['a3', 'a1']);
    expect(w2!.map((row) => row.id)).toEqual(['a2']);
    expect(w3).toEqual([]);
  });
});
