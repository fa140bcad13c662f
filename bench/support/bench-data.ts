/**
 * The benchmark's own database and Redis: recreated from scratch, migrated, and seeded through
 * Vigil's services with one tenant, a few prompt templates with several versions, STREAM_COUNT
 * streams (each with a template) and an ADMIN API key.
 */
import 'reflect-metadata';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/config';
import { migrate } from '../../src/db/migration-runner';
import { createPrismaClient } from '../../src/db/prisma-client';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { createRedis } from '../../src/redis/redis-client';
import { createServices } from '../../src/composition/create-services';
import { BullJobQueue } from '../../src/jobs/bullmq-job-queue';
import { STREAM_COUNT } from './protocol';

export interface BenchData {
  tenantId: string;
  apiKey: string;
  templates: number;
  versions: number;
  streams: number;
}

/** The database's name; throws unless it is clearly a benchmark database (it gets dropped). */
export function assertBenchDatabase(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!name) throw new Error(`BENCH_DATABASE_URL names no database: ${databaseUrl}`);
  // A benchmark that drops its database must never be pointed at a real one by accident.
  if (!/bench/i.test(name)) {
    throw new Error(`Refusing to drop database "${name}": its name must contain "bench"`);
  }
  return name;
}

export async function recreateDatabase(databaseUrl: string): Promise<void> {
  const name = assertBenchDatabase(databaseUrl);
  const adminUrl = new URL(databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  try {
    const quoted = `"${name.replace(/"/g, '""')}"`;
    await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoted}`);
  } finally {
    await admin.end();
  }
}

export interface BenchStores {
  databaseUrl: string;
  redisUrl: string;
}

/**
 * A benchmark's own stores, emptied: its database (BENCH_DATABASE_URL, else `defaultDatabase` on
 * the local server) dropped, recreated and migrated, and its Redis db (BENCH_REDIS_URL, else db 14)
 * flushed.
 */
export async function freshBenchStores(defaultDatabase: string): Promise<BenchStores> {
  const databaseUrl =
    process.env.BENCH_DATABASE_URL || `postgresql://postgres@127.0.0.1:5432/${defaultDatabase}`;
  const redisUrl = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379/14';
  await recreateDatabase(databaseUrl);
  await migrate(databaseUrl);
  const redis = createRedis(redisUrl, { name: 'vigil-bench-setup' });
  try {
    await redis.flushdb();
  } finally {
    await redis.quit();
  }
  return { databaseUrl, redisUrl };
}

/** Settings for an API a benchmark starts in its own process: quiet, local, no rate limit in the way. */
export function benchApiEnv(stores: BenchStores): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: stores.databaseUrl,
    REDIS_URL: stores.redisUrl,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    RATE_LIMIT_SESSION_PER_MINUTE: '1000000',
    RATE_LIMIT_LOGIN_PER_MINUTE: '1000',
  };
}

const SAMPLE_VERSION = {
  systemText: 'You watch a fixed camera and report what happens and why.',
  instructionText: 'Stream {{streamName}}. Policy: {{policy}}. Answer in JSON.',
};

/** Seeds through the real services (validation, audit rows and all), as an admin of the tenant would. */
export async function seedBenchData(env: NodeJS.ProcessEnv): Promise<BenchData> {
  const config = loadConfig(env);
  await recreateDatabase(config.DATABASE_URL);
  await migrate(config.DATABASE_URL);
  const prisma = createPrismaClient(config.DATABASE_URL);
  const redis = createRedis(config.REDIS_URL, { name: 'vigil-bench-seed' });
  try {
    await redis.flushdb();
    const services = createServices({ prisma, redis, config, jobs: new BullJobQueue(redis, config) });
    const operator = { kind: 'operator' as const, id: null };
    const created = await services.tenants.create(operator, {
      slug: 'bench',
      name: 'Benchmark tenant',
      adminEmail: 'admin@bench.test',
      adminPassword: 'bench-admin-password-not-secret',
      quotas: { maxActiveStreams: 1000 },
    });
    const tenantId = created.tenant.id;
    const db = tenantDb(prisma, tenantId);
    const admin = {
      kind: 'user' as const,
      id: created.adminUserId,
      tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };

    // Four templates; each gets three versions and the second one is made active, so activeVersion
    // is not simply "the latest".
    const templateIds: string[] = [];
    let versions = 0;
    for (const name of ['Lawn watch', 'Loading dock', 'Store floor', 'Parking lot']) {
      const template = await services.templates.create(db, admin, {
        name,
        description: `Benchmark template ${name}`,
        version: SAMPLE_VERSION,
      });
      const second = await services.templates.addVersion(db, admin, template.id, {
        ...SAMPLE_VERSION,
        instructionText: `${SAMPLE_VERSION.instructionText} Be brief.`,
        mode: 'INSTRUCT',
        modelName: 'qwen3-vl-8b-instruct',
      });
      await services.templates.addVersion(db, admin, template.id, {
        ...SAMPLE_VERSION,
        instructionText: `${SAMPLE_VERSION.instructionText} Draft.`,
      });
      await services.templates.activateVersion(db, admin, second.id);
      templateIds.push(template.id);
      versions += 3;
    }

    // Half of the sources carry credentials, so Vigil's masking of source URLs does real work.
    for (let i = 0; i < STREAM_COUNT; i++) {
      const n = String(i + 1).padStart(3, '0');
      await services.streams.create(db, admin, {
        name: `Camera ${n}`,
        sourceUrl:
          i % 2 === 0
            ? `rtsp://viewer:s3cret-${n}@camera-${n}.example.net:554/live`
            : `https://cdn.example.net/streams/camera-${n}/index.m3u8`,
        templateId: templateIds[i % templateIds.length]!,
        fps: 1 + (i % 4),
        maxWidth: 448 + 32 * (i % 5),
      });
    }

    const key = await services.apiKeys.create(db, admin, { name: 'bench key', role: 'ADMIN' });
    return {
      tenantId,
      apiKey: key.secret,
      templates: templateIds.length,
      versions,
      streams: STREAM_COUNT,
    };
  } finally {
    await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
  }
}
