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
import { ReportPdfPool } from '../src/reports/report-pdf-pool';
import type { IncidentReport } from '../src/reports/report-format';
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

const RESOLUTION_MS = 5;
const POLL_MS = 10;

/**
 * Runs `work` while watching the event loop: its delay histogram, and /healthz asked every 10 ms,
 * each answer timed from when it was due (a loop blocked when a request was due delays it too).
 * The histogram is read a few timer turns after the work, so a block at its very end is counted.
 */
async function watched<T>(
  healthUrl: string,
  work: () => Promise<T>,
): Promise<{
  value: T;
  elapsed: number;
  loopP99: number;
  loopMax: number;
  healthMax: number;
  healthResets: number;
}> {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  const health: number[] = [];
  let resets = 0;
  let polling = true;
  const began = performance.now();
  const poll = (async () => {
    for (let due = began; polling; due += POLL_MS) {
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        await (await fetch(healthUrl)).arrayBuffer();
      } catch {
        // A kept-alive connection the server closed between polls: asked again at the next turn.
        resets += 1;
        continue;
      }
      health.push(performance.now() - due);
      // A late answer moves the schedule on: requests are not fired in a burst to catch up.
      due = Math.max(due, performance.now() - POLL_MS);
    }
  })();
  delay.enable();
  const started = performance.now();
  const value = await work();
  const elapsed = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, RESOLUTION_MS * 4));
  delay.disable();
  polling = false;
  await poll;
  return {
    value,
    elapsed,
    loopP99: delay.percentile(99) / 1e6,
    loopMax: delay.max / 1e6,
    healthMax: Math.max(0, ...health),
    healthResets: resets,
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
    const routeUrl = `${base}/reports/incidents/${incidentId}`;
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
      const body = await (await fetch(`${routeUrl}.json`, { headers: auth })).arrayBuffer();
      json.push(performance.now() - started);
      jsonBytes = body.byteLength;
    }

    type Watched = Awaited<ReturnType<typeof watched<Buffer>>>;
    const route: Watched[] = [];
    const threaded: Watched[] = [];
    const inLoop: Watched[] = [];
    const report = await services.reports.incidentReport(db, tenant.tenantId, incidentId);
    const images = await services.reports.frameImages(db, report);
    const pool = new ReportPdfPool({ threads: 1 });
    try {
      for (let run = 0; run < RUNS; run++) {
        route.push(
          await watched(health, async () =>
            Buffer.from(await (await fetch(`${routeUrl}.pdf`, { headers: auth })).arrayBuffer()),
          ),
        );
        threaded.push(await watched(health, () => pool.render(report, images)));
        // The old path: the same PDF rendered on the API's own event loop.
        inLoop.push(await watched(health, () => renderReportPdf(report, images)));
      }
    } finally {
      await pool.dispose();
    }
    const pdf = route.at(-1)!.value;

    // As reports were before they were bounded: every analysis in one PDF, on the event loop.
    const all: IncidentReport['analyses'] = [];
    for (let page = 1; page <= report.analysesPage.pages; page++)
      all.push(...(await services.reports.incidentReport(db, tenant.tenantId, incidentId, page)).analyses);
    const whole: IncidentReport = {
      ...report,
      analyses: all,
      analysesPage: {
        ...report.analysesPage,
        page: 1,
        pages: 1,
        pageSize: all.length,
        last: all.length,
        nextPage: null,
      },
    };
    const unbounded = await watched(health, async () =>
      renderReportPdf(whole, await services.reports.frameImages(db, whole)),
    );

    console.log(
      `\nReport of an incident of ${WINDOWS} windows (median of ${RUNS} runs; contentSha256 ${hash.slice(0, 16)}…)`,
    );
    printTable(
      ['figure', 'value', 'target'],
      [
        ['report build (service, all analyses hashed, page 1)', ms(median(build), 0), '≤ 2000 ms'],
        ['GET …/<id>.json (page 1, end to end)', ms(median(json), 0), '≤ 2000 ms'],
        ['JSON page size', `${(jsonBytes / 1024).toFixed(0)} KiB`, ''],
        ['PDF (page 1) size / pages', `${(pdf.length / 1024).toFixed(0)} KiB / ${pdfPageCount(pdf)}`, ''],
        [
          'unbounded PDF (all analyses) size / pages',
          `${(unbounded.value.length / 1024).toFixed(0)} KiB / ${pdfPageCount(unbounded.value)}`,
          '',
        ],
      ],
    );
    console.log('\nPDF rendering and the API event loop meanwhile (event-loop delay target: p99 ≤ 50 ms)');
    const row = (label: string, runs: Watched[]) => [
      label,
      ms(median(runs.map((run) => run.elapsed)), 0),
      ms(median(runs.map((run) => run.loopP99)), 1),
      ms(median(runs.map((run) => run.loopMax)), 1),
      ms(median(runs.map((run) => run.healthMax)), 1),
    ];
    printTable(
      ['path', 'time', 'loop delay p99', 'loop delay max', '/healthz max'],
      [
        row('GET …/<id>.pdf (build + render in a worker thread)', route),
        row('render page 1, worker thread', threaded),
        row('render page 1, on the event loop (old path)', inLoop),
        row(`render all ${all.length} analyses, on the event loop (old, unbounded; 1 run)`, [unbounded]),
      ],
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
