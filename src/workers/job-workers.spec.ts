import { JOB_KINDS, JOBS, QUEUES, type QueueName } from '../jobs/job-registry';
import { checkHandlers } from './job-workers';

const run = async () => undefined;
const everyHandler = Object.fromEntries(JOB_KINDS.map((kind) => [kind, { run }]));
const ALL_QUEUES = Object.values(QUEUES) as QueueName[];

describe('a worker refuses to start with a job it cannot run', () => {
  it('starts with a handler for every job of the queues it serves', () => {
    expect(() => checkHandlers(everyHandler, ALL_QUEUES)).not.toThrow();
    const maintenanceOnly = Object.fromEntries(
      JOB_KINDS.filter((kind) => JOBS[kind].queue === QUEUES.maintenance).map((kind) => [kind, { run }]),
    );
    expect(() => checkHandlers(maintenanceOnly, [QUEUES.maintenance])).not.toThrow();
  });

  it('refuses a served queue with a job that has no handler', () => {
    const { evaluateRules: _missing, ...withoutRules } = everyHandler;
    expect(() => checkHandlers(withoutRules, ALL_QUEUES)).toThrow(
      'No handler for the job evaluateRules (vigil-rules/evaluate-analysis); the worker cannot start',
    );
  });

  it('refuses a handler for a job the table does not know', () => {
    expect(() => checkHandlers({ ...everyHandler, sendFax: { run } }, ALL_QUEUES)).toThrow(
      'A handler for sendFax, which the job table does not know',
    );
  });

  it('refuses a table in which two jobs share one name on one queue (one of them would never run)', () => {
    const doubled = {
      first: { queue: QUEUES.rules, name: 'evaluate-analysis' },
      second: { queue: QUEUES.rules, name: 'evaluate-analysis' },
    };
    expect(() => checkHandlers({ first: { run }, second: { run } }, [QUEUES.rules], doubled)).toThrow(
      'Jobs first and second are both vigil-rules/evaluate-analysis',
    );
  });
});

describe('the job table', () => {
  it('gives each job a deterministic id from its payload, so a job queued twice exists once', () => {
    expect(JOBS.analyseWindow.jobId({ tenantId: 't', windowId: 'w1' })).toBe('w1');
    expect(JOBS.reanalyseWindow.jobId({ tenantId: 't', windowId: 'w1' })).toBe('reanalyse-w1');
    expect(JOBS.evaluateRules.jobId({ tenantId: 't', analysisId: 'a1' })).toBe('a1');
    expect(JOBS.deliverWebhook.jobId({ tenantId: 't', deliveryId: 'd1' })).toBe('webhook-d1');
    expect(JOBS.deliverWebhook.jobId({ tenantId: 't', deliveryId: 'd1', round: 2 })).toBe('webhook-d1-r2');
  });

  it('retries every job a bounded number of times and caps the finished jobs every queue keeps', () => {
    const settings = { WEBHOOK_MAX_ATTEMPTS: 5, WEBHOOK_BACKOFF_MS: 1_000 };
    for (const kind of JOB_KINDS) {
      const options = JOBS[kind].options(settings);
      expect(options.attempts).toBeGreaterThanOrEqual(1);
      expect(options.keepCompleted.count).toBeGreaterThan(0);
      expect(options.keepFailed.count).toBeGreaterThan(0);
    }
    expect(JOBS.deliverWebhook.options(settings)).toMatchObject({ attempts: 5, backoffMs: 1_000 });
  });

  it('declares every periodic job with a fixed id, on the maintenance queue but for anchoring (audit queue)', () => {
    const periodic = JOB_KINDS.filter((kind) => JOBS[kind].every);
    expect(periodic.sort()).toEqual([
      'anchorAuditChains',
      'closeQuietIncidents',
      'purgeExpiredSessions',
      'purgeOldFrames',
      'reconcileLostJobs',
      'reviewDeadlines',
    ]);
    for (const kind of periodic)
      expect(JOBS[kind].queue).toBe(kind === 'anchorAuditChains' ? QUEUES.audit : QUEUES.maintenance);
    expect(JOBS.anchorAuditChains.jobId({})).toBe('anchor-audit-chains');
  });
});
