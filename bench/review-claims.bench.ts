/**
 * Claims benchmark: 20 moderators race over 1,000 review items through the real GraphQL API
 * (one process, real PostgreSQL and Redis). Each moderator repeatedly claims the queue's most
 * urgent item (claimNextReviewItem) and decides it, until the queue is empty.
 *
 * Prints claims/s, and checks the outcome in PostgreSQL: items claimed more than once (target 0),
 * items decided more than once, items left undecided.
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench_reviews;
 * DROPPED and recreated, its name must contain "bench"), BENCH_REDIS_URL (redis://127.0.0.1:6379/14,
 * flushed), BENCH_MODERATORS (20), BENCH_ITEMS (1000).
 *
 *   npm run bench:reviews
 */
import 'reflect-metadata';
import { createApiServer } from '../src/api/app';
import { loadConfig } from '../src/config/config';
import { createPrismaClient } from '../src/db/prisma-client';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { createLogger } from '../src/logging/logger';
import { createRedis } from '../src/redis/redis-client';
import { createServices } from '../src/composition/create-services';
import { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { benchApiEnv, freshBenchStores } from './support/bench-data';
import { printTable } from './support/bench-output';

const MODERATORS = Number(process.env.BENCH_MODERATORS ?? 20);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 1000);
const PASSWORD = 'bench-moderator-password';
const QUEUE = 'bench';

async function main(): Promise<void> {
  const stores = await freshBenchStores('vigil_bench_reviews');
  const { databaseUrl, redisUrl } = stores;
  const config = loadConfig(benchApiEnv(stores));
  const prisma = createPrismaClient(databaseUrl);
  const redis = createRedis(redisUrl, { name: 'vigil-bench-reviews' });
  const jobs = new BullJobQueue(redis, config);
  const services = createServices({ prisma, redis, config, jobs });
  const server = await createApiServer({ config, prisma, redis, services, logger: createLogger('silent') });
  const port = await server.listen();
  const url = `http://127.0.0.1:${port}/graphql`;
  const gql = async <T>(
    query: string,
    variables: Record<string, unknown>,
    token?: string,
  ): Promise<{ data?: T; errors?: { extensions?: { code?: string } }[] }> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: T };
  };

  try {
    const created = await services.tenants.create(
      { kind: 'operator', id: null },
      {
        slug: 'bench',
        name: 'Benchmark tenant',
        adminEmail: 'admin@bench.test',
        adminPassword: PASSWORD,
      },
    );
    const tenantId = created.tenant.id;
    const db = tenantDb(prisma, tenantId);
    const admin = {
      kind: 'user' as const,
      id: created.adminUserId,
      tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const tokens: string[] = [];
    for (let i = 0; i < MODERATORS; i++) {
      const email = `moderator-${i}@bench.test`;
      await services.users.create(db, admin, { email, role: 'MODERATOR', password: PASSWORD });
      const login = await gql<{ login: { token: string } }>(
        'mutation($input: LoginInput!) { login(input: $input) { token } }',
        { input: { tenantSlug: 'bench', email, password: PASSWORD } },
      );
      tokens.push(login.data!.login.token);
    }
    const stream = await db.stream.create({
      data: { tenantId, name: 'Camera 01', sourceUrl: 'rtsp://camera.example.net/live', kind: 'RTSP' },
    });
    const rule = await db.rule.create({
      data: {
        tenantId,
        name: 'bench rule',
        condition: { verdict: 'violation' },
        action: { type: 'review', queue: QUEUE, priority: 50 },
      },
    });
    const now = new Date();
    for (let i = 0; i < ITEMS; i += 500) {
      const incidents = await db.incident.createManyAndReturn({
        data: Array.from({ length: Math.min(500, ITEMS - i) }, () => ({
          tenantId,
          streamId: stream.id,
          ruleId: rule.id,
          startAt: now,
          endAt: now,
          lastFiredAt: now,
        })),
        select: { id: true },
      });
      await db.reviewItem.createMany({
        data: incidents.map((incident, k) => ({
          tenantId,
          incidentId: incident.id,
          streamId: stream.id,
          queue: QUEUE,
          priority: (i + k) % 100,
        })),
      });
    }

    const claimNext = 'mutation($q: String!) { claimNextReviewItem(queue: $q) { id } }';
    const decide =
      'mutation($id: ID!) { decideReviewItem(reviewItemId: $id, input: { decision: DISMISS, reason: "bench" }) { id } }';
    const claimedBy = new Map<string, number[]>();
    let errors = 0;
    const started = performance.now();
    await Promise.all(
      tokens.map(async (token, moderator) => {
        for (;;) {
          const claimed = await gql<{ claimNextReviewItem: { id: string } | null }>(
            claimNext,
            { q: QUEUE },
            token,
          );
          if (claimed.errors) {
            errors += 1;
            continue;
          }
          const id = claimed.data?.claimNextReviewItem?.id;
          if (!id) return;
          claimedBy.set(id, [...(claimedBy.get(id) ?? []), moderator]);
          const decided = await gql(decide, { id }, token);
          if (decided.errors) errors += 1;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    const claimAudits = await prisma.auditEvent.groupBy({
      by: ['entityId'],
      where: { tenantId, action: 'reviewItem.claim' },
      _count: true,
    });
    const decideAudits = await prisma.auditEvent.groupBy({
      by: ['entityId'],
      where: { tenantId, action: 'reviewItem.decide' },
      _count: true,
    });
    const doubleClaims = claimAudits.filter((row) => row._count > 1).length;
    const doubleDecisions = decideAudits.filter((row) => row._count > 1).length;
    const undecided = await db.reviewItem.count({ where: { status: { not: 'RESOLVED' } } });
    const seenTwice = [...claimedBy.values()].filter((who) => who.length > 1).length;

    console.log(
      `Claims: ${MODERATORS} moderators over ${ITEMS} review items, claim-next + decide, through the GraphQL API`,
    );
    printTable(
      ['figure', 'measured', 'target', 'verdict'],
      [
        [
          'claims/s (each followed by its decision)',
          (claimedBy.size / seconds).toFixed(1),
          '(reported)',
          '-',
        ],
        ['items claimed more than once (audit log)', doubleClaims, '0', doubleClaims === 0 ? 'PASS' : 'MISS'],
        ['items handed to two moderators (client view)', seenTwice, '0', seenTwice === 0 ? 'PASS' : 'MISS'],
        ['items decided more than once', doubleDecisions, '0', doubleDecisions === 0 ? 'PASS' : 'MISS'],
        ['items left undecided', undecided, '0', undecided === 0 ? 'PASS' : 'MISS'],
        ['errors', errors, '0', errors === 0 ? 'PASS' : 'MISS'],
      ],
    );
    console.log(`  ${claimedBy.size} claims in ${seconds.toFixed(1)} s`);
  } finally {
    await server.stop();
    await jobs.close();
    await Promise.allSettled([prisma.$disconnect(), redis.quit()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
