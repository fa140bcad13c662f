import { tenantDb, TenantScopeViolation } from '../src/db/tenant-scoped-db';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/** The tenant-scoped client against the real database, inside and outside transactions. */
describe('tenant-scoped Prisma client', () => {
  let api: TestApi;
  let a: TenantFixture;
  let b: TenantFixture;

  beforeAll(async () => {
    api = await startTestApi();
    [a, b] = await Promise.all([createTenantFixture(api, 'scope-a'), createTenantFixture(api, 'scope-b')]);
  }, 30_000);
  afterAll(() => api.stop());

  it('reads only its own tenant, also inside an interactive transaction', async () => {
    const db = tenantDb(api.prisma, a.tenantId);
    const outside = await db.stream.findMany();
    const inside = await db.$transaction((tx) => tx.stream.findMany());
    for (const rows of [outside, inside]) {
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((row) => row.tenantId === a.tenantId)).toBe(true);
    }
    expect(await db.stream.findUnique({ where: { id: b.ids.streamId } })).toBeNull();
    expect(await db.$transaction((tx) => tx.rule.findUnique({ where: { id: b.ids.ruleId } }))).toBeNull();
  });

  it("cannot update or delete another tenant's rows, which stay as they were", async () => {
    const db = tenantDb(api.prisma, a.tenantId);
    const before = await api.prisma.rule.findUniqueOrThrow({ where: { id: b.ids.ruleId } });
    await expect(
      db.rule.update({ where: { id: b.ids.ruleId }, data: { name: 'hijacked' } }),
    ).rejects.toMatchObject({
      code: 'P2025',
    });
    expect((await db.rule.updateMany({ where: { id: b.ids.ruleId }, data: { enabled: false } })).count).toBe(
      0,
    );
    expect((await db.rule.deleteMany({ where: { id: b.ids.ruleId } })).count).toBe(0);
    expect(await api.prisma.rule.findUniqueOrThrow({ where: { id: b.ids.ruleId } })).toEqual(before);
  });

  it('refuses to create a row for another tenant, or to move a row across tenants', async () => {
    const db = tenantDb(api.prisma, a.tenantId);
    await expect(
      db.rule.create({ data: { tenantId: b.tenantId, name: 'x', condition: {}, action: {} } }),
    ).rejects.toBeInstanceOf(TenantScopeViolation);
    await expect(
      db.rule.update({ where: { id: a.ids.ruleId }, data: { tenantId: b.tenantId } }),
    ).rejects.toBeInstanceOf(TenantScopeViolation);
    await expect(db.tenant.findMany()).rejects.toBeInstanceOf(TenantScopeViolation);
  });

  it("has the database refuse a reference to another tenant's template, even from the platform client", async () => {
    await expect(
      api.prisma.stream.update({ where: { id: a.ids.streamId }, data: { templateId: b.ids.templateId } }),
    ).rejects.toThrow(/foreign key/i);
    await expect(
      api.prisma.promptTemplate.update({
        where: { id: a.ids.templateId },
        data: { activeVersionId: b.ids.versionId },
      }),
    ).rejects.toThrow(/foreign key/i);
  });

  it('rolls the change back together with its audit event when the transaction fails', async () => {
    const db = tenantDb(api.prisma, a.tenantId);
    const auditBefore = await db.auditEvent.count();
    const streamsBefore = await db.stream.count();
    const actor = {
      kind: 'user' as const,
      id: a.userIds.ADMIN,
      tenantId: a.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    // Same name as the fixture's stream: the insert fails on the unique (tenantId, name) constraint.
    await expect(
      api.services.streams.create(db, actor, {
        name: 'Front lawn',
        sourceUrl: 'rtsp://camera.example.net/2',
      }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await db.stream.count()).toBe(streamsBefore);
    expect(await db.auditEvent.count()).toBe(auditBefore);
  });
});
