import pino from 'pino';
import { AuditChainService } from '../src/audit/audit-chain.service';
import { AuditVerificationLock } from '../src/audit/audit-verification-lock';
import { restoreLostAuditVerifications } from '../src/audit/audit-verifications';
import { reconcileLostJobs } from '../src/workers/reconcile-lost-jobs.processor';
import { loadConfig } from '../src/config/config';
import { tenantDb, tenantIdOf } from '../src/db/tenant-scoped-db';
import { auditVerificationJobId, JOBS, QUEUES } from '../src/jobs/job-registry';
import { createRedis } from '../src/redis/redis-client';
import { startJobWorkers } from '../src/workers/job-workers';
import { verifyAuditChainHandler } from '../src/workers/verify-audit-chain.processor';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { fillAuditChain } from './support/audit-chain-fill';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { testJobQueue } from './support/test-jobs';
import { waitFor } from './support/wait-for';

/**
 * Verifying the audit chain at its price: inline once per operation, charged by the chain's length
 * against the caller's rate limit, refused past the inline maximum and beside another verification
 * of the tenant; longer chains verified by a job in a worker that records its progress.
 */
const VERIFY = '{ verifyAuditChain { ok eventsChecked reason } }';
const START =
  'mutation { startAuditChainVerification { id status eventsTotal eventsChecked requestedByType requestedById } }';
const GET = `query ($id: ID!) { auditChainVerification(verificationId: $id) {
  id status eventsTotal eventsChecked error result { ok eventsChecked headHash reason } } }`;
const LIST = '{ auditChainVerifications(first: 10) { edges { node { id status } } } }';

type Run = {
  id: string;
  status: string;
  eventsTotal: number;
  eventsChecked: number;
  requestedByType?: string;
  requestedById?: string;
  result?: { ok: boolean; eventsChecked: number; headHash: string; reason: string | null } | null;
};

describe('audit chain verification', () => {
  let api: TestApi;
  let f: TenantFixture;
  let other: TenantFixture;
  const connection = createRedis(loadConfig().REDIS_URL, { forWorkers: true });

  beforeAll(async () => {
    api = await startTestApi({ AUDIT_VERIFY_INLINE_MAX_EVENTS: '2500', RATE_LIMIT_API_KEY_PER_MINUTE: '60' });
    [f, other] = await Promise.all([
      createTenantFixture(api, 'verify'),
      createTenantFixture(api, 'verify-b'),
    ]);
    // 2,000 events and the fixture's own: under the inline maximum, 20-odd requests' worth each time.
    await fillAuditChain(api.prisma, f.tenantId, 2_000);
  }, 60_000);
  afterAll(async () => {
    await api.stop();
    await connection.quit();
  });

  const freshAuditorKey = async (fixture: TenantFixture): Promise<string> => {
    const admin = {
      kind: 'user' as const,
      id: fixture.userIds.ADMIN,
      tenantId: fixture.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const created = await api.services.apiKeys.create(tenantDb(api.prisma, fixture.tenantId), admin, {
      name: `auditor ${Math.random()}`,
      role: 'AUDITOR',
    });
    return created.secret;
  };

  it('charges an inline verification by the chain’s length against the caller’s rate limit', async () => {
    const key = await freshAuditorKey(f);
    const length = await api.services.auditChain.length(tenantDb(api.prisma, f.tenantId));
    expect(length).toBeGreaterThan(2_000);
    // 1 for the request and one per 100 events: 22 of the key's 60 a minute.
    const first = await api.gql<{ verifyAuditChain: { ok: boolean; eventsChecked: number } }>(
      VERIFY,
      {},
      key,
    );
    expect(first.errors).toBeUndefined();
    expect(first.data!.verifyAuditChain).toMatchObject({ ok: true, eventsChecked: length });
    expect(errorCodes(await api.gql(VERIFY, {}, key))).toEqual([]);
    // A third would need 66: refused, while a cheap query still fits the budget.
    const third = await api.gql(VERIFY, {}, key);
    expect(errorCodes(third)).toEqual(['RATE_LIMITED']);
    expect(errorReasons(third)).toEqual(['REQUEST_RATE']);
  });

  it('refuses an inline verification past AUDIT_VERIFY_INLINE_MAX_EVENTS with a typed reason', async () => {
    const long = await createTenantFixture(api, 'verify-long');
    await fillAuditChain(api.prisma, long.tenantId, 2_600);
    const response = await api.gql(VERIFY, {}, long.sessions.AUDITOR);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(errorReasons(response)).toEqual(['AUDIT_CHAIN_TOO_LONG']);
    expect(response.errors![0]!.message).toMatch(/startAuditChainVerification/);
  });

  it('refuses two aliases of verifyAuditChain in one operation before running either', async () => {
    const response = await api.gql(
      '{ a: verifyAuditChain { ok } b: verifyAuditChain { ok } }',
      {},
      f.sessions.AUDITOR,
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(errorReasons(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('runs a verification job in the worker, recording it first and its progress per batch', async () => {
    const started = await Promise.all(
      Array.from({ length: 4 }, () =>
        api.gql<{ startAuditChainVerification: Run }>(START, {}, f.sessions.AUDITOR),
      ),
    );
    for (const response of started) expect(response.errors).toBeUndefined();
    const ids = new Set(started.map((response) => response.data!.startAuditChainVerification.id));
    // Four starts at once: one verification, the others answered with it.
    expect(ids.size).toBe(1);
    const run = started[0]!.data!.startAuditChainVerification;
    const length = await api.services.auditChain.length(tenantDb(api.prisma, f.tenantId));
    expect(run).toMatchObject({
      status: 'QUEUED',
      eventsTotal: length,
      eventsChecked: 0,
      requestedByType: 'user',
      requestedById: f.userIds.AUDITOR,
    });
    const job = await api.jobs.queue(QUEUES.audit).getJob(auditVerificationJobId(run.id));
    expect(job?.name).toBe(JOBS.verifyAuditChain.name);
    expect(job?.data).toEqual({ tenantId: f.tenantId, verificationId: run.id });

    // While it waits, an inline verification of the tenant is refused; another tenant's is not.
    const inline = await api.gql(VERIFY, {}, f.sessions.AUDITOR);
    expect(errorCodes(inline)).toEqual(['RATE_LIMITED']);
    expect(errorReasons(inline)).toEqual(['VERIFICATION_RUNNING']);
    expect(errorCodes(await api.gql(VERIFY, {}, other.sessions.AUDITOR))).toEqual([]);

    // The worker: progress read back from the row after each batch of 500.
    const real = api.services.auditChain;
    const progress: { reported: number; stored: number }[] = [];
    const db = tenantDb(api.prisma, f.tenantId);
    // The queue is shared with other suites' verifications: only this tenant's walk is watched.
    const chain = {
      verify: (scoped: typeof db, options: Parameters<AuditChainService['verify']>[1] = {}) =>
        tenantIdOf(scoped) !== f.tenantId
          ? real.verify(scoped, options)
          : real.verify(scoped, {
              ...options,
              batchSize: 500,
              onProgress: async (checked) => {
                await options.onProgress?.(checked);
                const row = await db.auditVerification.findFirstOrThrow({ where: { id: run.id } });
                progress.push({ reported: checked, stored: row.eventsChecked });
              },
            }),
    } as unknown as AuditChainService;
    const workers = startJobWorkers(
      connection,
      {
        verifyAuditChain: verifyAuditChainHandler({
          prisma: api.prisma,
          chain,
          lock: new AuditVerificationLock(connection),
          logger: pino({ level: 'silent' }),
        }),
        // Anchoring shares the queue; this tenant's API has no anchor key.
        anchorAuditChains: { run: async () => ({ skipped: true }) },
      },
      { queues: [QUEUES.audit], logger: pino({ level: 'silent' }) },
    );
    try {
      let done: Run | undefined;
      await waitFor(async () => {
        const response = await api.gql<{ auditChainVerification: Run }>(
          GET,
          { id: run.id },
          f.sessions.AUDITOR,
        );
        done = response.data?.auditChainVerification;
        return done?.status === 'DONE';
      }, 30_000);
      expect(progress.length).toBeGreaterThanOrEqual(4);
      for (const step of progress) expect(step.stored).toBe(step.reported);
      expect(progress.map((step) => step.reported)).toEqual(
        [...progress.map((step) => step.reported)].sort((a, b) => a - b),
      );
      const head = await api.prisma.auditEvent.findFirstOrThrow({
        where: { tenantId: f.tenantId },
        orderBy: { chainIndex: 'desc' },
      });
      expect(done).toMatchObject({
        status: 'DONE',
        eventsChecked: head.chainIndex,
        result: { ok: true, eventsChecked: head.chainIndex, headHash: head.hash, reason: null },
      });
    } finally {
      await workers.close();
    }

    // Ended: a new start records a new verification; both are listed, newest first.
    const again = await api.gql<{ startAuditChainVerification: Run }>(START, {}, f.apiKeys.AUDITOR);
    const second = again.data!.startAuditChainVerification;
    expect(second.id).not.toBe(run.id);
    expect(second.requestedByType).toBe('apiKey');
    const list = await api.gql<{ auditChainVerifications: { edges: { node: { id: string } }[] } }>(
      LIST,
      {},
      f.sessions.AUDITOR,
    );
    expect(list.data!.auditChainVerifications.edges.map((edge) => edge.node.id).slice(0, 2)).toEqual([
      second.id,
      run.id,
    ]);

    // Another tenant's verifications are not found, nor listed.
    const foreign = await api.gql(GET, { id: run.id }, other.sessions.AUDITOR);
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    const otherList = await api.gql<{ auditChainVerifications: { edges: { node: { id: string } }[] } }>(
      LIST,
      {},
      other.sessions.AUDITOR,
    );
    expect(otherList.data!.auditChainVerifications.edges.map((edge) => edge.node.id)).not.toContain(run.id);
    expect(errorCodes(await api.gql(GET, { id: 'nope' }, f.sessions.AUDITOR))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await api.gql(START, {}, f.sessions.MODERATOR))).toEqual(['FORBIDDEN']);

    // Redis loses the queued job: the reconciler queues it again from the row, once.
    const jobs = testJobQueue(connection);
    try {
      expect((await reconcileLostJobs(api.prisma, jobs)).auditVerifications).toBeGreaterThanOrEqual(1);
      const restored = await jobs.queue(QUEUES.audit).getJob(auditVerificationJobId(second.id));
      expect(restored?.data).toEqual({ tenantId: f.tenantId, verificationId: second.id });
      expect(await restoreLostAuditVerifications(api.prisma, jobs)).toBe(0);
      const queued = await jobs.queue(QUEUES.audit).getJobs(['waiting', 'prioritized', 'delayed']);
      expect(queued.filter((queuedJob) => queuedJob.id === auditVerificationJobId(second.id))).toHaveLength(
        1,
      );
      // One left unfinished for more than a day is given up, so it blocks no later start.
      const stale = await tenantDb(api.prisma, other.tenantId).auditVerification.create({
        data: {
          tenantId: other.tenantId,
          requestedByType: 'user',
          requestedById: other.userIds.AUDITOR,
          eventsTotal: 1,
          createdAt: new Date(Date.now() - 2 * 86_400_000),
        },
      });
      await restoreLostAuditVerifications(api.prisma, jobs);
      expect(
        await tenantDb(api.prisma, other.tenantId).auditVerification.findFirstOrThrow({
          where: { id: stale.id },
        }),
      ).toMatchObject({
        status: 'FAILED',
        error: expect.stringMatching(/^abandoned/),
      });
      expect(await jobs.queue(QUEUES.audit).getJob(auditVerificationJobId(stale.id))).toBeUndefined();
    } finally {
      await jobs.queue(QUEUES.audit).obliterate({ force: true });
      await jobs.close();
    }
  }, 60_000);
});
