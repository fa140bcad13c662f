import {
  DEMO_FPS,
  DEMO_POLICY_REASONS,
  DEMO_RULES,
  DEMO_TENANT_SLUG,
  seedDemo,
  type DemoSeed,
} from '../prisma/seed';
import { DEMO_SCENE, VTEST_LAWN } from '../src/demo/demo-scene';
import { tenantDb, type TenantDb } from '../src/db/tenant-scoped-db';
import { loadScene } from '../src/streams/stream-scene';
import { startTestApi, type TestApi } from './support/api-harness';

/**
 * The demo tenant's seed on the real database: a new demo gets the scene, the rules on its events
 * and 2 fps; seeding again changes nothing (no scene version, no audit event); a demo database
 * seeded by earlier versions (object rules, 1 fps, another scene) ends with the same scene and
 * exactly the demo's rules enabled, a retired rule kept (disabled) only where incidents need it.
 */
describe('the demo seed', () => {
  let api: TestApi;
  let seed: DemoSeed;
  let db: TenantDb;

  const enabledRules = async () =>
    (await db.rule.findMany({ where: { enabled: true }, orderBy: { name: 'asc' } })).map((rule) => ({
      name: rule.name,
      condition: rule.condition,
      action: rule.action,
      cooldownSeconds: rule.cooldownSeconds,
    }));
  const wantedRules = () =>
    [...DEMO_RULES].sort((a, b) => a.name.localeCompare(b.name)).map((rule) => ({ ...rule }));
  const auditCount = () => db.auditEvent.count();

  beforeAll(async () => {
    api = await startTestApi();
    seed = await seedDemo(api.prisma, api.services);
    db = tenantDb(api.prisma, seed.tenantId);
  });

  afterAll(async () => {
    await api.stop();
  });

  it('gives a new demo its scene, its rules on the scene’s events and 2 fps', async () => {
    const tenant = await api.prisma.tenant.findUniqueOrThrow({ where: { id: seed.tenantId } });
    expect(tenant.slug).toBe(DEMO_TENANT_SLUG);
    expect(await enabledRules()).toEqual(wantedRules());
    expect(await db.rule.count()).toBe(DEMO_RULES.length);

    const stream = await db.stream.findUniqueOrThrow({ where: { id: seed.streamId } });
    expect(stream.fps).toBe(DEMO_FPS);
    expect(stream.sceneVersion).toBe(1);
    const scene = await loadScene(db, seed.streamId);
    expect(scene.regions).toEqual(DEMO_SCENE);
    expect(scene.regions.map((region) => region.name)).toEqual(['lawn', 'walkway', 'west']);
    // Reasons to choose from; every decision has at least one.
    const reasons = await db.policyReason.findMany({ where: { archivedAt: null } });
    expect(reasons.map((reason) => reason.label).sort()).toEqual(
      DEMO_POLICY_REASONS.map((reason) => reason.label).sort(),
    );
    for (const decision of ['DISMISS', 'CONFIRM_VIOLATION', 'ESCALATE', 'STOP_STREAM'])
      expect({ decision, fits: reasons.some((reason) => reason.decisions.includes(decision)) }).toEqual({
        decision,
        fits: true,
      });
  });

  it('changes nothing when run again', async () => {
    const before = await auditCount();
    const again = await seedDemo(api.prisma, api.services);
    expect(again.streamId).toBe(seed.streamId);
    expect(await auditCount()).toBe(before);
    expect(await db.streamScene.count({ where: { streamId: seed.streamId } })).toBe(1);
    expect(await enabledRules()).toEqual(wantedRules());
  });

  it("brings an earlier demo's database to the same scene and exactly these rules", async () => {
    const { actor } = seed;
    // What earlier seeds left: rules on objects (one with an incident), 1 fps, another scene, and
    // one of today's rules with another cooldown.
    const loitering = await db.rule.findFirstOrThrow({ where: { name: DEMO_RULES[1]!.name } });
    await api.services.rules.update(db, actor, loitering.id, { cooldownSeconds: 5 });
    for (const name of [DEMO_RULES[0]!.name, DEMO_RULES[2]!.name]) {
      const rule = await db.rule.findFirstOrThrow({ where: { name } });
      await api.services.rules.delete(db, actor, rule.id);
    }
    const oldLawn = await api.services.rules.create(db, actor, {
      name: 'A person enters the lawn',
      condition: { appears: { when: { object: { label: 'person', minConfidence: 0.5 } }, absentFor: 2 } },
      action: { type: 'review', queue: 'lawn', priority: 60 },
      cooldownSeconds: 30,
    });
    const oldCrowd = await api.services.rules.create(db, actor, {
      name: 'A crowd on the walkway',
      condition: { object: { label: 'person', minConfidence: 0.5, minCount: 4 } },
      action: { type: 'review', queue: 'walkway', priority: 40 },
      cooldownSeconds: 30,
    });
    const at = new Date();
    await db.incident.create({
      data: {
        tenantId: seed.tenantId,
        streamId: seed.streamId,
        ruleId: oldLawn.id,
        startAt: at,
        endAt: at,
        lastFiredAt: at,
        summary: 'A person enters the lawn',
      },
    });
    await api.services.streams.update(db, actor, seed.streamId, { fps: 1 });
    await api.services.streams.saveScene(db, actor, {
      streamId: seed.streamId,
      expectedVersion: 1,
      zones: [
        { id: 'lawn', name: 'lawn', polygon: VTEST_LAWN.polygon, labels: ['person'], dwellSeconds: 60 },
      ],
      lines: [],
    });

    await seedDemo(api.prisma, api.services);

    expect(await enabledRules()).toEqual(wantedRules());
    // The retired rule with an incident stays for its evidence, disabled; the other one is gone.
    expect(await db.rule.findUnique({ where: { id: oldCrowd.id } })).toBeNull();
    expect((await db.rule.findUniqueOrThrow({ where: { id: oldLawn.id } })).enabled).toBe(false);
    const stream = await db.stream.findUniqueOrThrow({ where: { id: seed.streamId } });
    expect(stream.fps).toBe(DEMO_FPS);
    expect(stream.sceneVersion).toBe(3);
    expect((await loadScene(db, seed.streamId)).regions).toEqual(DEMO_SCENE);

    // And once there, again nothing changes.
    const before = await auditCount();
    await seedDemo(api.prisma, api.services);
    expect(await auditCount()).toBe(before);
    expect((await db.stream.findUniqueOrThrow({ where: { id: seed.streamId } })).sceneVersion).toBe(3);
  });
});
