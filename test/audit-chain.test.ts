import { buildCli, CliExit } from '../src/cli/vigil.cli';
import { migrateDatabase } from '../src/composition/migrate-database';
import { loadConfig } from '../src/config/config';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { auditEventHash } from '../src/audit/audit-chain';
import { chainUnchainedAuditEvents } from '../src/audit/audit-chain.service';
import { recordAudit } from '../src/audit/audit-log';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, PASSWORD, TenantFixture, uniqueSlug } from './support/tenant-fixture';

/**
 * The tamper-evident audit chain against the real PostgreSQL: linear under concurrent writers,
 * verification that names the first broken event (changed, removed or relinked rows), tenants'
 * chains independent of each other, and the backfill that chains rows written before the chain.
 */
const OPERATOR = { kind: 'operator' as const, id: null };

describe('audit chain', () => {
  let api: TestApi;
  let f: TenantFixture;

  beforeAll(async () => {
    api = await startTestApi();
    f = await createTenantFixture(api, 'chain');
  }, 60_000);
  afterAll(() => api.stop());

  const verify = (tenantId: string) => api.services.auditChain.verify(tenantDb(api.prisma, tenantId));
  const chainOf = (tenantId: string) =>
    api.prisma.auditEvent.findMany({ where: { tenantId }, orderBy: { chainIndex: 'asc' } });

  /** A tenant with its admin (two audit events) and `extra` more events with varied JSON data. */
  async function lightTenant(prefix: string, extra = 6): Promise<{ id: string; slug: string }> {
    const slug = uniqueSlug(prefix);
    const created = await api.services.tenants.create(OPERATOR, {
      slug,
      name: `Tenant ${slug}`,
      adminEmail: `admin@${slug}.test`,
      adminPassword: PASSWORD,
    });
    await appendEvents(created.tenant.id, extra);
    return { id: created.tenant.id, slug };
  }

  async function appendEvents(tenantId: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await tenantDb(api.prisma, tenantId).$transaction((tx) =>
        recordAudit(
          tx,
          { tenantId, ...OPERATOR },
          {
            action: 'test.event',
            entityType: 'Test',
            entityId: String(i),
            data: {
              zeta: i,
              alpha: { b: [1, 'two', { y: null, x: true }], a: 0.1 + 0.2 },
              text: 'ünï ✓ "q"',
            },
          },
        ),
      );
    }
  }

  /** Changes or removes rows as someone with direct database access would: bypassing the append-only trigger. */
  async function tamper(sql: string, ...params: unknown[]): Promise<void> {
    await api.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe('SET LOCAL session_replication_role = replica');
      await tx.$executeRawUnsafe(sql, ...params);
    });
  }

  async function cli(...args: string[]): Promise<{ output: string; exitCode: number }> {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => {
      lines.push(parts.join(' '));
    });
    let exitCode = 0;
    try {
      await buildCli({ exitOverride: true }).parseAsync(['node', 'vigil', ...args]);
    } catch (error) {
      if (!(error instanceof CliExit)) throw error;
      exitCode = error.exitCode;
    } finally {
      log.mockRestore();
    }
    return { output: lines.join('\n'), exitCode };
  }

  it('stays linear under concurrent audited writes and verifies', async () => {
    const db = tenantDb(api.prisma, f.tenantId);
    const itemIds: string[] = [];
    for (let i = 0; i < 20; i++) {
      const now = new Date();
      const incident = await db.incident.create({
        data: {
          tenantId: f.tenantId,
          streamId: f.ids.streamId,
          ruleId: f.ids.ruleId,
          startAt: now,
          endAt: now,
          lastFiredAt: now,
        },
      });
      const item = await db.reviewItem.create({
        data: {
          tenantId: f.tenantId,
          incidentId: incident.id,
          streamId: f.ids.streamId,
          queue: 'chain',
          priority: 50,
        },
      });
      itemIds.push(item.id);
    }
    const before = await api.prisma.auditEvent.count({ where: { tenantId: f.tenantId } });
    const responses = await Promise.all([
      ...itemIds.map((id) =>
        api.gql(
          `mutation($id: ID!) { claimReviewItem(reviewItemId: $id) { id } }`,
          { id },
          f.sessions.MODERATOR,
        ),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        api.gql(
          `mutation($input: CreateRuleInput!) { createRule(input: $input) { id } }`,
          {
            input: {
              name: `concurrent ${i} ${uniqueSlug('r')}`,
              condition: { object: { label: 'person' } },
              action: { type: 'review' },
            },
          },
          f.sessions.ADMIN,
        ),
      ),
      // A serializable transaction (stream start) racing the appends: retried, not refused.
      api.gql(
        `mutation($id: ID!) { startStream(streamId: $id) { id } }`,
        { id: f.ids.streamId },
        f.sessions.ADMIN,
      ),
    ]);
    expect(responses.flatMap(errorCodes)).toEqual([]);

    const chain = await chainOf(f.tenantId);
    expect(chain).toHaveLength(before + 31);
    chain.forEach((event, index) => {
      expect(event.chainIndex).toBe(index + 1);
      expect(event.prevHash).toBe(index === 0 ? null : chain[index - 1]!.hash);
      expect(event.hash).toBe(auditEventHash({ ...event, chainIndex: index + 1 }));
    });
    const result = await verify(f.tenantId);
    expect(result).toMatchObject({
      ok: true,
      eventsChecked: chain.length,
      headHash: chain.at(-1)!.hash,
      firstBrokenEventId: null,
      firstBrokenChainIndex: null,
      reason: null,
    });
  }, 60_000);

  it('verifies through GraphQL for an auditor, refuses a moderator, and shows chain fields newest first', async () => {
    const query = `{ verifyAuditChain { ok eventsChecked headHash firstBrokenEventId firstBrokenChainIndex reason verifiedAt } }`;
    const response = await api.gql<{
      verifyAuditChain: { ok: boolean; headHash: string; verifiedAt: string };
    }>(query, {}, f.sessions.AUDITOR);
    expect(response.errors).toBeUndefined();
    const head = await api.prisma.auditEvent.findFirstOrThrow({
      where: { tenantId: f.tenantId },
      orderBy: { chainIndex: 'desc' },
    });
    expect(response.data!.verifyAuditChain).toMatchObject({ ok: true, headHash: head.hash });
    expect(Date.parse(response.data!.verifyAuditChain.verifiedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(errorCodes(await api.gql(query, {}, f.sessions.MODERATOR))).toEqual(['FORBIDDEN']);

    const list = await api.gql<{
      auditEvents: { edges: { node: { id: string; chainIndex: number; prevHash: string; hash: string } }[] };
    }>(
      '{ auditEvents(first: 5) { edges { node { id chainIndex prevHash hash } } } }',
      {},
      f.sessions.AUDITOR,
    );
    expect(list.errors).toBeUndefined();
    const nodes = list.data!.auditEvents.edges.map((edge) => edge.node);
    expect(nodes[0]).toEqual({
      id: head.id,
      chainIndex: head.chainIndex,
      prevHash: head.prevHash,
      hash: head.hash,
    });
    expect(nodes.map((node) => node.chainIndex)).toEqual(
      Array.from({ length: 5 }, (_, i) => head.chainIndex! - i),
    );
  });

  it('filters the audit log by actor and time', async () => {
    type Page = {
      auditEvents: { edges: { node: { actorId: string; action: string; createdAt: string } }[] };
    };
    const q = `query($filter: AuditEventFilter) { auditEvents(first: 100, filter: $filter) { edges { node { actorId action createdAt } } } }`;
    const byActor = await api.gql<Page>(q, { filter: { actorId: f.userIds.MODERATOR } }, f.sessions.AUDITOR);
    expect(byActor.errors).toBeUndefined();
    const actions = byActor.data!.auditEvents.edges.map((edge) => edge.node);
    expect(actions.length).toBeGreaterThanOrEqual(20);
    expect(new Set(actions.map((node) => node.actorId))).toEqual(new Set([f.userIds.MODERATOR]));

    const events = await chainOf(f.tenantId);
    const middle = events[Math.floor(events.length / 2)]!.createdAt;
    const last = events.at(-1)!.createdAt;
    const window = await api.gql<Page>(
      q,
      { filter: { from: middle.toISOString(), to: last.toISOString() } },
      f.sessions.AUDITOR,
    );
    expect(window.errors).toBeUndefined();
    const inWindow = window.data!.auditEvents.edges.map((edge) => Date.parse(edge.node.createdAt));
    expect(inWindow.length).toBe(
      events.filter((event) => event.createdAt >= middle && event.createdAt <= last).length,
    );
    expect(inWindow.every((time) => time >= middle.getTime() && time <= last.getTime())).toBe(true);

    const backwards = await api.gql(
      q,
      { filter: { from: last.toISOString(), to: middle.toISOString() } },
      f.sessions.AUDITOR,
    );
    expect(errorCodes(backwards)).toEqual(['BAD_USER_INPUT']);

    // Up to a place in the chain: that event first, then what led to it.
    const upTo = events[5]!.chainIndex!;
    const indexed = await api.gql<{ auditEvents: { edges: { node: { chainIndex: number } }[] } }>(
      `query($filter: AuditEventFilter) { auditEvents(first: 3, filter: $filter) { edges { node { chainIndex } } } }`,
      { filter: { upToChainIndex: upTo } },
      f.sessions.AUDITOR,
    );
    const indexes = indexed.data!.auditEvents.edges.map((edge) => edge.node.chainIndex);
    expect(new Set(indexes)).toEqual(new Set([upTo, upTo - 1, upTo - 2]));
    expect(errorCodes(await api.gql(q, { filter: { upToChainIndex: 0 } }, f.sessions.AUDITOR))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('fails verification AT a row whose data was changed, and leaves other tenants’ chains intact', async () => {
    const t = await lightTenant('tampered');
    const other = await lightTenant('untouched');
    const victim = (await chainOf(t.id))[4]!;
    await tamper(`UPDATE "AuditEvent" SET "data" = '{"zeta": 999}'::jsonb WHERE "id" = $1::uuid`, victim.id);

    expect(await verify(t.id)).toMatchObject({
      ok: false,
      eventsChecked: 5,
      firstBrokenEventId: victim.id,
      firstBrokenChainIndex: 5,
      reason: 'event content does not match its hash',
    });
    expect(await verify(other.id)).toMatchObject({ ok: true, eventsChecked: 8 });

    const broken = await cli('audit-verify', '--tenant', t.slug);
    expect(broken.exitCode).toBe(1);
    expect(broken.output).toContain('BROKEN: event content does not match its hash');
    expect(broken.output).toContain(`event ${victim.id}, chain index 5`);
    const intact = await cli('audit-verify', '--tenant', other.slug);
    expect(intact.exitCode).toBe(0);
    expect(intact.output).toContain('result    ok');
    expect(intact.output).toContain('checked   8 events');
  });

  it('reports a removed row at the next index', async () => {
    const t = await lightTenant('deleted');
    const chain = await chainOf(t.id);
    await tamper(`DELETE FROM "AuditEvent" WHERE "id" = $1::uuid`, chain[3]!.id);
    expect(await verify(t.id)).toMatchObject({
      ok: false,
      firstBrokenEventId: chain[4]!.id,
      firstBrokenChainIndex: 5,
      reason: 'chain index gap: expected 4, found 5',
      headHash: chain.at(-1)!.hash,
    });
  });

  it('reports a changed row whose own hash was recomputed at the next row’s link', async () => {
    const t = await lightTenant('relinked');
    const chain = await chainOf(t.id);
    const forged = { ...chain[2]!, data: { forged: true } };
    await tamper(
      `UPDATE "AuditEvent" SET "data" = '{"forged": true}'::jsonb, "hash" = $2 WHERE "id" = $1::uuid`,
      forged.id,
      auditEventHash({ ...forged, chainIndex: 3 }),
    );
    expect(await verify(t.id)).toMatchObject({
      ok: false,
      firstBrokenEventId: chain[3]!.id,
      firstBrokenChainIndex: 4,
      reason: expect.stringMatching(/^previous-hash link broken/),
    });
  });

  it('names the broken row to an auditor through GraphQL', async () => {
    const victim = (await chainOf(f.tenantId))[9]!;
    await tamper(`UPDATE "AuditEvent" SET "action" = 'forged' WHERE "id" = $1::uuid`, victim.id);
    const response = await api.gql<{ verifyAuditChain: Record<string, unknown> }>(
      '{ verifyAuditChain { ok firstBrokenEventId firstBrokenChainIndex reason eventsChecked } }',
      {},
      f.sessions.AUDITOR,
    );
    expect(response.errors).toBeUndefined();
    expect(response.data!.verifyAuditChain).toEqual({
      ok: false,
      firstBrokenEventId: victim.id,
      firstBrokenChainIndex: 10,
      reason: 'event content does not match its hash',
      eventsChecked: 10,
    });
  });

  describe('rows written before the chain existed', () => {
    /** A tenant with no audit rows yet (created directly, as before the chain). */
    const bareTenant = async (prefix: string) => {
      const slug = uniqueSlug(prefix);
      return (await api.prisma.tenant.create({ data: { slug, name: slug } })).id;
    };
    async function insertLegacy(
      tenantId: string,
      createdAt: Date,
      action: string,
      data: string,
    ): Promise<void> {
      await api.prisma.$executeRawUnsafe(
        `INSERT INTO "AuditEvent" ("id", "tenantId", "actorType", "actorId", "action", "entityType", "entityId", "data", "createdAt")
         VALUES (gen_random_uuid(), $1::uuid, 'operator', NULL, $2, 'Legacy', NULL, $3::jsonb, $4)`,
        tenantId,
        action,
        data,
        createdAt,
      );
    }

    it('are chained in (createdAt, id) order, in batches, once', async () => {
      const tenantId = await bareTenant('legacy');
      const t0 = Date.now() - 3_600_000;
      await insertLegacy(tenantId, new Date(t0 + 3000), 'third', '{"b": 1, "a": {"d": [1, 2.5], "c": "x"}}');
      await insertLegacy(tenantId, new Date(t0 + 1000), 'first-or-second', '{}');
      await insertLegacy(tenantId, new Date(t0 + 2000), 'between', '{"z": null, "k": "ünï"}');
      await insertLegacy(tenantId, new Date(t0 + 1000), 'first-or-second', '{"same": "time"}');
      await insertLegacy(tenantId, new Date(t0 + 4000), 'last', '[1, "two"]');

      const before = await verify(tenantId);
      expect(before).toMatchObject({ ok: false, firstBrokenChainIndex: null });
      expect(before.reason).toMatch(
        /^5 audit events are from before the chain existed and not chained yet \(run `vigil migrate`/,
      );

      // The append-only trigger still refuses anything but filling in an unchained row's chain columns.
      const legacy = await api.prisma.auditEvent.findFirstOrThrow({ where: { tenantId, action: 'last' } });
      await expect(
        api.prisma.$executeRawUnsafe(
          `UPDATE "AuditEvent" SET "chainIndex" = 1, "hash" = 'x', "data" = '{}'::jsonb WHERE "id" = $1::uuid`,
          legacy.id,
        ),
      ).rejects.toThrow(/append-only/);

      const report = await chainUnchainedAuditEvents(api.prisma, 2);
      expect(report.chained).toBeGreaterThanOrEqual(5);
      const chain = await chainOf(tenantId);
      const expectedOrder = [...chain].sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id),
      );
      expect(chain.map((event) => event.id)).toEqual(expectedOrder.map((event) => event.id));
      expect(chain.map((event) => event.action)).toEqual([
        'first-or-second',
        'first-or-second',
        'between',
        'third',
        'last',
      ]);
      expect(chain.map((event) => event.chainIndex)).toEqual([1, 2, 3, 4, 5]);
      expect(await verify(tenantId)).toMatchObject({ ok: true, eventsChecked: 5, headHash: chain[4]!.hash });

      // A chained row is append-only again.
      await expect(
        api.prisma.$executeRawUnsafe(`UPDATE "AuditEvent" SET "hash" = 'x' WHERE "id" = $1::uuid`, legacy.id),
      ).rejects.toThrow(/append-only/);

      // New events continue the chain.
      await appendEvents(tenantId, 1);
      expect((await chainOf(tenantId)).at(-1)!.chainIndex).toBe(6);
      expect(await verify(tenantId)).toMatchObject({ ok: true, eventsChecked: 6 });
    });

    it('are never a row inserted by hand after the chain existed: migrate leaves it out and verification names it', async () => {
      const t = await lightTenant('forged', 2);
      const before = await chainOf(t.id);
      // Written around the application today, dressed as an old event of the operator.
      await api.prisma.$executeRawUnsafe(
        `INSERT INTO "AuditEvent" ("id", "tenantId", "actorType", "actorId", "action", "entityType", "entityId", "data")
         VALUES (gen_random_uuid(), $1::uuid, 'operator', NULL, 'reviewItem.decide', 'ReviewItem', NULL, '{"decision": "DISMISS"}'::jsonb)`,
        t.id,
      );
      const forged = await api.prisma.auditEvent.findFirstOrThrow({
        where: { tenantId: t.id, chainIndex: null },
      });
      const report = await migrateDatabase(loadConfig());
      expect(report.auditEventsOutsideChain).toBeGreaterThanOrEqual(1);
      expect(await chainOf(t.id)).toHaveLength(before.length + 1);
      expect(
        (await api.prisma.auditEvent.findUniqueOrThrow({ where: { id: forged.id } })).chainIndex,
      ).toBeNull();
      const result = await verify(t.id);
      expect(result).toMatchObject({ ok: false, firstBrokenEventId: forged.id, firstBrokenChainIndex: null });
      expect(result.reason).toMatch(
        /^1 audit event is not in the chain and was written after the chain existed/,
      );
      expect(result.reason).toMatch(/inserted around the application/);
      expect(result.reason).not.toMatch(/vigil migrate/);
      const cliResult = await cli('audit-verify', '--tenant', t.slug);
      expect(cliResult.exitCode).toBe(1);
      expect(cliResult.output).not.toMatch(/vigil migrate/);
    });

    it('are chained by the migrate command after a tenant’s existing chain, and a second run does nothing', async () => {
      const t = await lightTenant('mixed', 2);
      await insertLegacy(t.id, new Date(Date.now() - 86_400_000), 'late-arrival', '{"x": 1}');
      const report = await migrateDatabase(loadConfig());
      expect(report.applied).toEqual([]);
      expect(report.auditEventsChained).toBeGreaterThanOrEqual(1);
      const chain = await chainOf(t.id);
      expect(chain.at(-1)).toMatchObject({ action: 'late-arrival', chainIndex: 5 });
      expect(await verify(t.id)).toMatchObject({ ok: true, eventsChecked: 5 });
      expect(await chainUnchainedAuditEvents(api.prisma)).toMatchObject({ tenants: 0, chained: 0 });
    });
  });
});
