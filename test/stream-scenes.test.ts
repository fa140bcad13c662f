import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../src/audit/audit-log';
import { tenantDb, type TenantDb } from '../src/db/tenant-scoped-db';
import { loadScene, saveScene, type LineDraft, type ZoneDraft } from '../src/streams/stream-scene';
import { startTestApi, type TestApi } from './support/api-harness';
import { createTenantFixture, type TenantFixture } from './support/tenant-fixture';

/**
 * Zones and tripwires per stream: the owner's versions, ids and optimistic concurrency on the real
 * database, and the GraphQL operations (roles, other tenants, errors with their paths).
 */

const lawn: ZoneDraft = {
  name: 'Lawn',
  polygon: [
    { x: 0.1, y: 0.5 },
    { x: 0.5, y: 0.5 },
    { x: 0.5, y: 0.9 },
  ],
  labels: ['person'],
  dwellSeconds: 20,
};
const gate: LineDraft = { name: 'Gate', from: { x: 0.6, y: 0.2 }, to: { x: 0.9, y: 0.25 }, labels: [] };

describe('stream scenes', () => {
  let api: TestApi;
  let f: TenantFixture;
  let other: TenantFixture;
  let db: TenantDb;
  let admin: AuditActor;

  /** A new stream of the fixture's tenant, with no scene yet. */
  const newStream = async () => {
    const stream = await api.services.streams.create(
      db,
      { ...admin, kind: 'user', id: f.userIds.ADMIN, role: 'ADMIN', isPlatformAdmin: false },
      { name: `cam ${randomUUID().slice(0, 8)}`, sourceUrl: 'rtsp://camera.example.net/scene' },
    );
    return stream.id;
  };

  beforeAll(async () => {
    api = await startTestApi();
    [f, other] = await Promise.all([createTenantFixture(api, 'scene'), createTenantFixture(api, 'scene-b')]);
    db = tenantDb(api.prisma, f.tenantId);
    admin = { tenantId: f.tenantId, kind: 'user', id: f.userIds.ADMIN };
  }, 60_000);

  afterAll(() => api?.stop());

  describe('the owner', () => {
    it('starts a stream with the empty scene, version 0', async () => {
      const streamId = await newStream();
      expect(await loadScene(db, streamId)).toEqual({ version: 0, regions: [] });
    });

    it('writes each save as the next version, keeps the older ones, and keeps region ids across versions', async () => {
      const streamId = await newStream();
      const first = await saveScene(db, admin, {
        streamId,
        expectedVersion: 0,
        zones: [lawn],
        lines: [gate],
      });
      expect(first.version).toBe(1);
      expect(first.savedById).toBe(f.userIds.ADMIN);
      const [zone, line] = first.regions;
      expect(zone).toMatchObject({
        kind: 'zone',
        name: 'Lawn',
        id: expect.stringMatching(/^zone-[0-9a-f]{8}$/),
      });
      expect(line).toMatchObject({
        kind: 'line',
        name: 'Gate',
        id: expect.stringMatching(/^line-[0-9a-f]{8}$/),
      });

      // Version 2 renames the zone (same id), drops the line and adds a new zone.
      const second = await saveScene(db, admin, {
        streamId,
        expectedVersion: 1,
        zones: [
          { ...lawn, id: zone!.id, name: 'North lawn' },
          { ...lawn, name: 'Bench', crowdAt: 3 },
        ],
        lines: [],
      });
      expect(second.version).toBe(2);
      expect(second.regions.map((region) => [region.id, region.name])).toEqual([
        [zone!.id, 'North lawn'],
        [expect.not.stringMatching(new RegExp(`^(${zone!.id}|${line!.id})$`)), 'Bench'],
      ]);

      expect(await loadScene(db, streamId)).toEqual({ version: 2, regions: second.regions });
      expect(await loadScene(db, streamId, 1)).toEqual({ version: 1, regions: first.regions });
      expect(await loadScene(db, streamId, 0)).toEqual({ version: 0, regions: [] });
      await expect(loadScene(db, streamId, 3)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const stream = await db.stream.findUniqueOrThrow({ where: { id: streamId } });
      expect(stream.sceneVersion).toBe(2);
      expect(await db.streamScene.count({ where: { streamId } })).toBe(2);
    });

    it('audits each save with the version and the counts of zones and lines', async () => {
      const streamId = await newStream();
      await saveScene(db, admin, {
        streamId,
        expectedVersion: 0,
        zones: [lawn, { ...lawn, name: 'B' }],
        lines: [gate],
      });
      const events = await db.auditEvent.findMany({
        where: { entityId: streamId },
        orderBy: { chainIndex: 'asc' },
      });
      expect(events.map((event) => [event.action, event.actorType, event.actorId, event.data])).toEqual([
        ['stream.create', 'user', f.userIds.ADMIN, expect.anything()],
        ['stream.scene.saved', 'user', f.userIds.ADMIN, { version: 1, zones: 2, lines: 1 }],
      ]);
    });

    it('records no user for a save by an API key', async () => {
      const streamId = await newStream();
      const saved = await saveScene(
        db,
        { tenantId: f.tenantId, kind: 'apiKey', id: f.ids.apiKeyId },
        { streamId, expectedVersion: 0, zones: [lawn], lines: [] },
      );
      expect(saved.savedById).toBeNull();
    });

    it('refuses a save from an older version with CONFLICT (STALE_VERSION) and writes nothing', async () => {
      const streamId = await newStream();
      await saveScene(db, admin, { streamId, expectedVersion: 0, zones: [lawn], lines: [] });
      const auditBefore = await db.auditEvent.count();
      await expect(
        saveScene(db, admin, { streamId, expectedVersion: 0, zones: [], lines: [gate] }),
      ).rejects.toMatchObject({ code: 'CONFLICT', reason: 'STALE_VERSION' });
      await expect(
        saveScene(db, admin, { streamId, expectedVersion: 2, zones: [], lines: [gate] }),
      ).rejects.toMatchObject({ code: 'CONFLICT', reason: 'STALE_VERSION' });
      expect((await loadScene(db, streamId)).version).toBe(1);
      expect(await db.streamScene.count({ where: { streamId } })).toBe(1);
      expect(await db.auditEvent.count()).toBe(auditBefore);
    });

    it('lets exactly one of concurrent saves from the same version win', async () => {
      const streamId = await newStream();
      const attempts = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          saveScene(db, admin, {
            streamId,
            expectedVersion: 0,
            zones: [{ ...lawn, name: `Lawn ${i}` }],
            lines: [],
          }),
        ),
      );
      const won = attempts.filter((attempt) => attempt.status === 'fulfilled');
      const lost = attempts.filter((attempt) => attempt.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const attempt of lost)
        expect(attempt.reason).toMatchObject({ code: 'CONFLICT', reason: 'STALE_VERSION' });
      expect(await db.streamScene.count({ where: { streamId } })).toBe(1);
      expect((await loadScene(db, streamId)).version).toBe(1);
    });

    it('refuses a zone’s id on a line, rolling the version back', async () => {
      const streamId = await newStream();
      const first = await saveScene(db, admin, { streamId, expectedVersion: 0, zones: [lawn], lines: [] });
      await expect(
        saveScene(db, admin, {
          streamId,
          expectedVersion: 1,
          zones: [],
          lines: [{ ...gate, id: first.regions[0]!.id }],
        }),
      ).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        details: { fields: [{ field: 'input.lines.0.id', message: expect.any(String) }] },
      });
      expect((await db.stream.findUniqueOrThrow({ where: { id: streamId } })).sceneVersion).toBe(1);
    });

    it('refuses bad input before touching the stream, naming each problem by its path', async () => {
      const streamId = await newStream();
      const polygon = [...lawn.polygon];
      polygon[2] = { x: 0.5, y: 1.5 };
      await expect(
        saveScene(db, admin, {
          streamId,
          expectedVersion: 0,
          zones: [lawn, { ...lawn, name: 'Second', polygon }],
          lines: [{ ...gate, labels: ['persons'] }],
        }),
      ).rejects.toMatchObject({
        code: 'BAD_USER_INPUT',
        details: {
          fields: [
            { field: 'input.zones.1.polygon.2.y', message: 'must be a fraction of the frame from 0 to 1' },
            { field: 'input.lines.0.labels.0', message: expect.stringContaining('"persons"') },
          ],
        },
      });
      expect((await loadScene(db, streamId)).version).toBe(0);
    });

    it('answers NOT_FOUND for another tenant’s stream and changes nothing there', async () => {
      const before = await api.prisma.stream.findUniqueOrThrow({ where: { id: other.ids.streamId } });
      await expect(
        saveScene(db, admin, {
          streamId: other.ids.streamId,
          expectedVersion: before.sceneVersion,
          zones: [lawn],
          lines: [],
        }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(loadScene(db, other.ids.streamId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const after = await api.prisma.stream.findUniqueOrThrow({ where: { id: other.ids.streamId } });
      expect(after.sceneVersion).toBe(before.sceneVersion);
      expect(
        await api.prisma.streamScene.count({ where: { tenantId: f.tenantId, streamId: other.ids.streamId } }),
      ).toBe(0);
    });

    it('deletes a stream’s scenes with the stream', async () => {
      const streamId = await newStream();
      await saveScene(db, admin, { streamId, expectedVersion: 0, zones: [lawn], lines: [] });
      await saveScene(db, admin, { streamId, expectedVersion: 1, zones: [], lines: [gate] });
      await api.services.streams.delete(
        db,
        { ...admin, kind: 'user', id: f.userIds.ADMIN, role: 'ADMIN', isPlatformAdmin: false },
        streamId,
      );
      expect(await db.streamScene.count({ where: { streamId } })).toBe(0);
    });
  });
});
