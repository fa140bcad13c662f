import { Client } from 'pg';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { type E2eStack, personOnLawnResult, sampleFrames, startE2eStack } from '../support/e2e-stack';
import { waitFor } from '../support/wait-for';

/**
 * PostgreSQL drops every connection to the database (what a restart does to them; the server
 * itself is shared with others, so it is not restarted) while a real worker analyses a stream's
 * windows: the worker reconnects by itself and every accepted window ends analysed, once, with its
 * rules run, within the bound.
 */
const WINDOWS = 10;
const BOUND_MS = 30_000;

/** A check that counts a failed query (the test's own connection was cut too) as "not yet". */
const orFalse = (check: () => Promise<boolean>) => () => check().catch(() => false);

describe(`fault: PostgreSQL connections terminated mid-run (recovers within ${BOUND_MS / 1000} s)`, () => {
  let stack: E2eStack;
  let admin: Client;

  beforeAll(async () => {
    stack = await startE2eStack({ worker: true, prefix: 'fault-pg', console: false });
    admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await stack.analysisQueueIdle();
  }, 90_000);

  afterAll(async () => {
    await admin?.end();
    await stack?.stop();
  });

  async function terminateOthers(): Promise<number> {
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    return rowCount ?? 0;
  }

  it(`loses no accepted window when every connection is cut twice, and recovers within ${BOUND_MS / 1000} s`, async () => {
    const fake = stack.fake!;
    await fake.control.reset();
    await fake.control.configure({ latencyMs: 1_000, slots: 2 });
    await fake.control.queueResults(...Array.from({ length: WINDOWS * 2 }, () => personOnLawnResult()));
    const streamId = await stack.createStream('cut-off lawn');
    const frames = await sampleFrames(2);
    const windowIds = await stack.queueWindows(streamId, frames, WINDOWS);
    const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
    const done = () => db.window.count({ where: { id: { in: windowIds }, status: 'DONE' } });

    await waitFor(async () => (await done()) >= 2, 30_000, 50);
    expect(await terminateOthers()).toBeGreaterThan(0);
    const cutAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await terminateOthers();
    expect(await done().catch(() => 0)).toBeLessThan(WINDOWS);

    await waitFor(
      orFalse(async () => {
        if ((await done()) < WINDOWS) return false;
        return (
          (await db.analysis.count({ where: { windowId: { in: windowIds }, rulesEvaluatedAt: null } })) === 0
        );
      }),
      BOUND_MS,
      200,
    );
    expect(Date.now() - cutAt).toBeLessThan(BOUND_MS);
    const analyses = await db.analysis.findMany({ where: { windowId: { in: windowIds } } });
    expect(analyses.map((a) => a.windowId).sort()).toEqual([...windowIds].sort());
    expect(analyses.every((a) => a.status === 'DONE' && a.mode === 'VLM')).toBe(true);
    const firings = await db.incidentFiring.findMany({
      where: { analysisId: { in: analyses.map((a) => a.id) }, ruleId: stack.tenant.ids.ruleId },
    });
    expect(firings).toHaveLength(WINDOWS);
  }, 120_000);
});
