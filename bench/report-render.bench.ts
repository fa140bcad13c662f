/**
 * Report benchmark: an incident of 1,000 windows (1,000 local analyses and firings over reused
 * frames, written straight to PostgreSQL) reported through the real API in this process.
 *
 * Prints the report's build time (the service, and GET …/<id>.json end to end), the PDF's render
 * time, size and pages, and the API's event-loop delay p99 (perf_hooks.monitorEventLoopDelay) and
 * /healthz latency while it renders: through the route (rendered in a worker thread), and on the
 * old path in the same run (the same PDF rendered on the API's own event loop).
 * Targets: report ≤ 2 s; event-loop delay p99 ≤ 50 ms while rendering.
 *
 * Environment: BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/vigil_bench_reports;
 * DROPPED and recreated, its name must contain "bench"), BENCH_REDIS_URL (redis://127.0.0.1:6379/14,
 * flushed), BENCH_WINDOWS (1000), BENCH_RUNS (3).
 *
 *   npm run bench:report
 */
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApiServer } from '../src/api/app';
import { createServices } from '../src/composition/create-services';
import { loadConfig } from '../src/config/config';
import { createPrismaClient } from '../src/db/prisma-client';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { createLogger } from '../src/logging/logger';
import { createRedis } from '../src/redis/redis-client';
import { renderReportPdf } from '../src/reports/report-pdf';
import type { TestApi } from '../test/support/api-harness';
import { createLargeIncident } from '../test/support/large-incident';
import { pdfPageCount } from '../test/support/pdf-reader';
import { createTenantFixture } from '../test/support/tenant-fixture';
import { benchApiEnv, freshBenchStores } from './support/bench-data';
import { ms, printTable } from './support/bench-output';

const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Runs `work` while watching the event loop and polling /healthz every 10 ms. */
async function watched<T>(
  healthUrl: string,
  work: () => Promise<T>,
): Promise<{ value: T; elapsed: number; loopP99: number; loopMax: number; healthMax: number }> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const health: number[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const sent = performance.now();
      await (await fetch(healthUrl)).arrayBuffer();
      health.push(performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  delay.enable();
  const started = performance.now();
  const value = await work();
  const elapsed = performance.now() - started;
  delay.disable();
  polling = false;
  await poll;
  return {
    value,
    elapsed,
    loopP99: delay.percentile(99) / 1e6,
    loopMax: delay.max / 1e6,
    healthMax: Math.max(0, ...health),
  };
}

async function main(): Promise<void> {
  const stores = await freshBenchStores('vigil_bench_reports');
  const frameDir = await mkdtemp(path.join(os.tmpdir(), 'vigil-bench-report-'));
  const config = loadConfig({ ...benchApiEnv(stores), FRAME_STORE_DIR: frameDir });
  const prisma = createPrismaClient(stores.databaseUrl);
  const redis = createRedis(stores.redisUrl, { name: 'vigil-bench-reports' });
  const jobs = new BullJobQueue(redis, config);
  const services = createServices({ prisma, redis, config, jobs });
  const server = await createApiServer({ config, prisma, redis, services, logger: createLogger('silent') });
  const base = `http://127.0.0.1:${await server.listen()}`;
  try {
    // The fixture needs only the services and the database of an API.
    const tenant = await createTenantFixture({ services, prisma } as unknown as TestApi, 'bench-report');
    const seeded = performance.now();
    const { incidentId } = await createLargeIncident({
      prisma,
      putFrame: (key, jpeg) => services.windows.store.put(key, jpeg),
      tenantId: tenant.tenantId,
      streamId: tenant.ids.streamId,
      versionId: tenant.ids.versionId,
      ruleId: tenant.ids.ruleId,
      windows: WINDOWS,
    });
    console.log(`Incident of ${WINDOWS} windows written in ${ms(performance.now() - seeded, 0)}`);
    const db = tenantDb(prisma, tenant.tenantId);
    const auth = { authorization: `Bearer ${tenant.sessions.AUDITOR}` };
    const route = `${base}/reports/incidents/${incidentId}`;
    const health = `${base}/healthz`;

    const build: number[] = [];
    const json: number[] = [];
    let jsonBytes = 0;
    let hash = '';
    for (let run = 0; run < RUNS; run++) {
      let started = performance.now();
      const report = await services.reports.incidentReport(db, tenant.tenantId, incidentId);
      build.push(performance.now() - started);
      hash = report.contentSha256;
      started = performance.now();
      const body = await (await fetch(`${route}.json`, { headers: auth })).arrayBuffer();
      json.push(performance.now() - started);
      jsonBytes = body.byteLength;
    }

    const threaded: Awaited<ReturnType<typeof watched<Buffer>>>[] = [];
    const inLoop: Awaited<ReturnType<typeof watched<Buffer>>>[] = [];
    for (let run = 0; run < RUNS; run++) {
      threaded.push(
        await watched(health, async () =>
          Buffer.from(await (await fetch(`${route}.pdf`, { headers: auth })).arrayBuffer()),
        ),
      );
      // The old path: the same report and PDF, rendered on the API's own event loop.
      inLoop.push(
        await watched(health, async () => {
          const report = await services.reports.incidentReport(db, tenant.tenantId, incidentId);
          return renderReportPdf(report, await services.reports.frameImages(db, report));
        }),
      );
    }
    const pdf = threaded.at(-1)!.value;

    console.log(
      `\nReport of an incident of ${WINDOWS} windows (median of ${RUNS} runs; contentSha256 ${hash.slice(0, 16)}…)`,
    );
    printTable(
      ['figure', 'value', 'target'],
      [
        ['report build (service, all analyses hashed, page 1)', ms(median(build), 0), '≤ 2000 ms'],
        ['GET …/<id>.json (page 1, end to end)', ms(median(json), 0), '≤ 2000 ms'],
        ['JSON page size', `${(jsonBytes / 1024).toFixed(0)} KiB`, ''],
        ['PDF size / pages', `${(pdf.length / 1024).toFixed(0)} KiB / ${pdfPageCount(pdf)}`, ''],
      ],
    );
    console.log('\nPDF rendering (page 1 of the evidence: 50 analyses), the API event loop meanwhile');
    printTable(
      ['path', 'PDF time', 'loop delay p99', 'loop delay max', '/healthz max'],
      [
        ['worker thread (GET …/<id>.pdf)', threaded, '≤ 50 ms p99'] as const,
        ['old: on the event loop', inLoop, ''] as const,
      ].map(([label, runs]) => [
        label,
        ms(median(runs.map((run) => run.elapsed)), 0),
        ms(median(runs.map((run) => run.loopP99)), 1),
        ms(median(runs.map((run) => run.loopMax)), 1),
        ms(median(runs.map((run) => run.healthMax)), 1),
      ]),
    );
  } finally {
    await server.stop();
    await jobs.close?.();
    await redis.quit();
    await prisma.$disconnect();
    await rm(frameDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
