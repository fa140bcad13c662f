import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import pino from 'pino';
import { tenantDb } from '../src/db/tenant-scoped-db';
import type { Stream } from '../src/generated/prisma/client';
import { StreamLeases } from '../src/ingest/stream-leases';
import { StreamSupervisor } from '../src/ingest/stream-supervisor';
import { createRedis } from '../src/redis/redis-client';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';

const LEASE_MS = 1_500;
const TICK_MS = 100;

/** Records which streams a supervisor runs; stands in for the sampler. */
class RecordingRunners {
  readonly running = new Set<string>();
  readonly started: string[] = [];
  start = (stream: Stream) => {
    this.running.add(stream.id);
    this.started.push(stream.id);
    return { ended: false, stop: async () => void this.running.delete(stream.id) };
  };
}

describe('stream supervisor: one sampler per active stream across workers (real PostgreSQL and Redis)', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let redis: Redis;
  const supervisors: StreamSupervisor[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    tenant = await createTenantFixture(api, 'supervisor');
    await api.services.tenants.updateQuotas({ kind: 'operator', id: null }, tenant.tenantId, {
      maxActiveStreams: 50,
    });
    redis = createRedis(api.config.REDIS_URL);
  }, 30_000);
  afterEach(async () => {
    await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
  });
  afterAll(async () => {
    await redis.quit();
    await api.stop();
  });

  const admin = () => ({
    kind: 'user' as const,
    id: tenant.userIds.ADMIN,
    tenantId: tenant.tenantId,
    role: 'ADMIN' as const,
    isPlatformAdmin: false,
  });

  async function activeStreams(count: number): Promise<string[]> {
    const db = tenantDb(api.prisma, tenant.tenantId);
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const stream = await api.services.streams.create(db, admin(), {
        name: `cam-${randomBytes(4).toString('hex')}`,
        sourceUrl: `rtsp://camera.example.net/${i}`,
      });
      ids.push(stream.id);
    }
    return ids;
  }

  function supervisor(runners: RecordingRunners, maxStreams = 1_000): StreamSupervisor {
    const leases = new StreamLeases(redis, `worker-${randomBytes(4).toString('hex')}`, LEASE_MS);
    const created = new StreamSupervisor(api.prisma, leases, runners.start, pino({ level: 'silent' }), {
      tickMs: TICK_MS,
      maxStreams,
    });
    supervisors.push(created);
    return created;
  }

  it('gives each active stream to exactly one of several workers, and picks up new streams', async () => {
    const ids = await activeStreams(6);
    const [a, b, c] = [new RecordingRunners(), new RecordingRunners(), new RecordingRunners()];
    for (const runners of [a, b, c]) supervisor(runners).start();
    const mine = (runners: RecordingRunners) => ids.filter((id) => runners.running.has(id));
    await waitFor(() => ids.every((id) => [a, b, c].some((r) => r.running.has(id))), 3_000);
    const owners = ids.map((id) => [a, b, c].filter((r) => r.running.has(id)).length);
    expect(owners).toEqual(ids.map(() => 1));
    expect(mine(a).length + mine(b).length + mine(c).length).toBe(6);

    const [late] = await activeStreams(1);
    const took = await waitFor(() => [a, b, c].some((r) => r.running.has(late!)), 2_000);
    expect(took).toBeLessThan(2_000);
  }, 30_000);

  it('stops sampling a paused, stopped or archived stream within a second or two', async () => {
    const [paused, stopped, archived] = await activeStreams(3);
    const runners = new RecordingRunners();
    supervisor(runners).start();
    const ids = [paused!, stopped!, archived!];
    await waitFor(() => ids.every((id) => runners.running.has(id)), 3_000);
    const db = tenantDb(api.prisma, tenant.tenantId);
    await api.services.streams.transition(db, admin(), paused!, 'pause');
    await api.services.streams.transition(db, admin(), stopped!, 'stop');
    await api.services.streams.archive(db, admin(), archived!);
    const took = await waitFor(() => ids.every((id) => !runners.running.has(id)), 2_000);
    expect(took).toBeLessThan(2_000);
    expect(await redis.exists(`vigil:stream-lease:${paused}`)).toBe(0);
    expect(await redis.exists(`vigil:stream-lease:${archived}`)).toBe(0);
  }, 30_000);

  it("takes over a dead worker's streams once its leases expire, with no stream run twice", async () => {
    const ids = await activeStreams(3);
    const dying = new RecordingRunners();
    const dead = supervisor(dying);
    dead.start();
    await waitFor(() => ids.every((id) => dying.running.has(id)), 3_000);

    await dead.crash(); // no more heartbeats, leases left in Redis
    const survivor = new RecordingRunners();
    supervisor(survivor).start();
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS / 2));
    expect(ids.filter((id) => survivor.running.has(id))).toEqual([]); // not while the lease lives
    const took = await waitFor(() => ids.every((id) => survivor.running.has(id)), LEASE_MS * 3);
    expect(took).toBeLessThan(LEASE_MS * 2);
  }, 30_000);

  it('respects its capacity, leaving the rest to other workers', async () => {
    const ids = await activeStreams(4);
    const small = new RecordingRunners();
    supervisor(small, 1).start();
    const other = new RecordingRunners();
    supervisor(other).start();
    await waitFor(() => ids.every((id) => small.running.has(id) || other.running.has(id)), 3_000);
    expect(small.running.size).toBe(1);
  }, 30_000);
});
