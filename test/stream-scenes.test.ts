import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../src/audit/audit-log';
import { tenantDb, type TenantDb } from '../src/db/tenant-scoped-db';
import { loadScene, saveScene, type LineDraft, type ZoneDraft } from '../src/streams/stream-scene';
import { errorCodes, errorReasons, startTestApi, type TestApi } from './support/api-harness';
import { fieldsOf } from './support/raw-http';
import { createTenantFixture, ROLES, type TenantFixture } from './support/tenant-fixture';

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

const SCENE_FIELDS = `
  streamId version savedAt savedBy
  zones { id name polygon { x y } labels crowdAt dwellSeconds severity }
  lines { id name from { x y } to { x y } labels allowedDirection severity }
`;
const SAVE = `mutation ($input: SaveStreamSceneInput!) { saveStreamScene(input: $input) { ${SCENE_FIELDS} } }`;
const READ = `query ($id: ID!, $version: Int!) {
  stream(streamId: $id) { id scene { ${SCENE_FIELDS} } sceneAt(version: $version) { ${SCENE_FIELDS} } }
}`;

interface SceneView {
  streamId: string;
  version: number;
  savedAt: string | null;
  savedBy: string | null;
  zones: { id: string; name: string; labels: string[]; crowdAt: number | null; severity: string | null }[];
  lines: { id: string; name: string; allowedDirection: string | null }[];
}

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
      { name: `cam ${randomUUID().slice(0, 8)}`, sourceUrl: 'rtsp://camera.example.net/scene', start: false },
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

  describe('through GraphQL', () => {
    const save = (credential: string, input: Record<string, unknown>) =>
      api.gql<{ saveStreamScene: SceneView }>(SAVE, { input }, credential);
    const read = (credential: string, streamId: string, version: number) =>
      api.gql<{ stream: { scene: SceneView; sceneAt: SceneView | null } }>(
        READ,
        { id: streamId, version },
        credential,
      );

    it('lets an admin save versions and everyone read the current one and any earlier one', async () => {
      const streamId = await newStream();
      const empty = await read(f.sessions.MODERATOR, streamId, 0);
      expect(empty.errors).toBeUndefined();
      expect(empty.data!.stream.scene).toEqual({
        streamId,
        version: 0,
        savedAt: null,
        savedBy: null,
        zones: [],
        lines: [],
      });

      const first = await save(f.sessions.ADMIN, {
        streamId,
        expectedVersion: 0,
        zones: [{ ...lawn, crowdAt: 4, severity: 'high' }],
        lines: [{ ...gate, allowedDirection: 'to-right' }],
      });
      expect(first.errors).toBeUndefined();
      const v1 = first.data!.saveStreamScene;
      expect(v1).toMatchObject({
        streamId,
        version: 1,
        savedBy: `admin@${f.slug}.test`,
        zones: [{ name: 'Lawn', labels: ['person'], crowdAt: 4, severity: 'high' }],
        lines: [{ name: 'Gate', allowedDirection: 'to-right' }],
      });

      // An admin's API key saves version 2, keeping the zone and dropping the line.
      const second = await save(f.apiKeys.ADMIN, {
        streamId,
        expectedVersion: 1,
        zones: [{ ...lawn, id: v1.zones[0]!.id, name: 'North lawn' }],
        lines: [],
      });
      expect(second.errors).toBeUndefined();
      expect(second.data!.saveStreamScene).toMatchObject({
        version: 2,
        savedBy: null,
        zones: [{ id: v1.zones[0]!.id, name: 'North lawn', crowdAt: null, severity: null }],
        lines: [],
      });

      for (const role of ROLES) {
        const seen = await read(f.sessions[role], streamId, 1);
        expect(seen.errors).toBeUndefined();
        expect(seen.data!.stream.scene.version).toBe(2);
        expect(seen.data!.stream.sceneAt).toEqual(v1);
      }
      expect((await read(f.sessions.ADMIN, streamId, 3)).data!.stream.sceneAt).toBeNull();
      expect((await read(f.sessions.ADMIN, streamId, -1)).data!.stream.sceneAt).toBeNull();
      expect((await read(f.sessions.ADMIN, streamId, 0)).data!.stream.sceneAt).toMatchObject({
        version: 0,
        zones: [],
      });
    });

    it('answers a save from an older version with CONFLICT and STALE_VERSION', async () => {
      const streamId = await newStream();
      expect(
        (await save(f.sessions.ADMIN, { streamId, expectedVersion: 0, zones: [lawn], lines: [] })).errors,
      ).toBeUndefined();
      const stale = await save(f.sessions.ADMIN, { streamId, expectedVersion: 0, zones: [], lines: [gate] });
      expect(errorCodes(stale)).toEqual(['CONFLICT']);
      expect(errorReasons(stale)).toEqual(['STALE_VERSION']);
      expect(stale.errors![0]!.message).toMatch(/saved by someone else/);
    });

    it('answers bad input with BAD_USER_INPUT naming every problem by its path', async () => {
      const streamId = await newStream();
      const polygon = [...lawn.polygon, { x: Number.MAX_VALUE, y: 0.5 }];
      const response = await save(f.sessions.ADMIN, {
        streamId,
        expectedVersion: 0,
        zones: [lawn, { ...lawn, name: 'lawn', polygon, dwellSeconds: 0 }],
        lines: [{ ...gate, to: gate.from, allowedDirection: 'up', labels: ['car', 'bike'] }],
      });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual([
        'input.zones.1.name',
        'input.zones.1.polygon.3.x',
        'input.zones.1.dwellSeconds',
        'input.lines.0.labels.1',
        'input.lines.0.to',
        'input.lines.0.allowedDirection',
      ]);
      expect(
        errorCodes(
          await save(f.sessions.ADMIN, { streamId: 'not-an-id', expectedVersion: 0, zones: [], lines: [] }),
        ),
      ).toEqual(['BAD_USER_INPUT']);
      expect((await read(f.sessions.ADMIN, streamId, 0)).data!.stream.scene.version).toBe(0);
    });

    it('refuses moderators and auditors, with their sessions and API keys, and changes nothing', async () => {
      for (const role of ['MODERATOR', 'AUDITOR'] as const) {
        for (const credential of [f.sessions[role], f.apiKeys[role]]) {
          const response = await save(credential, {
            streamId: f.ids.streamId,
            expectedVersion: 1,
            zones: [],
            lines: [],
          });
          expect({ role, codes: errorCodes(response) }).toEqual({ role, codes: ['FORBIDDEN'] });
        }
      }
      expect((await read(f.sessions.ADMIN, f.ids.streamId, 0)).data!.stream.scene.version).toBe(1);
    });

    it('answers NOT_FOUND for another tenant’s stream, reading or saving', async () => {
      const before = await api.prisma.stream.findUniqueOrThrow({ where: { id: other.ids.streamId } });
      const saved = await save(f.sessions.ADMIN, {
        streamId: other.ids.streamId,
        expectedVersion: before.sceneVersion,
        zones: [lawn],
        lines: [],
      });
      expect(errorCodes(saved)).toEqual(['NOT_FOUND']);
      expect(errorCodes(await read(f.sessions.ADMIN, other.ids.streamId, 1))).toEqual(['NOT_FOUND']);
      expect(
        (await api.prisma.stream.findUniqueOrThrow({ where: { id: other.ids.streamId } })).sceneVersion,
      ).toBe(before.sceneVersion);
    });

    it('gives the stream’s newest kept frame as a signed URL to draw on', async () => {
      const response = await api.gql<{
        stream: { latestFrame: { id: string; url: string; width: number } | null };
      }>(
        'query ($id: ID!) { stream(streamId: $id) { latestFrame { id url width } } }',
        { id: f.ids.streamId },
        f.sessions.MODERATOR,
      );
      expect(response.errors).toBeUndefined();
      const frame = await db.frame.findFirstOrThrow({
        where: { streamId: f.ids.streamId },
        orderBy: { capturedAt: 'desc' },
      });
      expect(response.data!.stream.latestFrame).toMatchObject({ id: frame.id, width: frame.width });
      expect(response.data!.stream.latestFrame!.url).toMatch(new RegExp(`^/frames/${frame.id}\\?`));
      const fresh = await newStream();
      const none = await api.gql<{ stream: { latestFrame: null } }>(
        'query ($id: ID!) { stream(streamId: $id) { latestFrame { id } } }',
        { id: fresh },
        f.sessions.ADMIN,
      );
      expect(none.data!.stream.latestFrame).toBeNull();
    });
  });
});
