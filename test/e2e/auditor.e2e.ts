import { readFile } from 'node:fs/promises';
import type { Browser, Download, Page } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { launchBrowser, saveScreenshot, signedInPage, waitInPage } from '../support/browser';
import { personOnLawnResult, sampleFrames, startE2eStack, type E2eStack } from '../support/e2e-stack';
import { createLargeIncident } from '../support/large-incident';
import { pdfInfo } from '../support/pdf-reader';
import pino from 'pino';
import { AuditVerificationLock } from '../../src/audit/audit-verification-lock';
import { QUEUES } from '../../src/jobs/job-registry';
import { createRedis } from '../../src/redis/redis-client';
import { type JobWorkers, startJobWorkers } from '../../src/workers/job-workers';
import { verifyAuditChainHandler } from '../../src/workers/verify-audit-chain.processor';

const silent = pino({ level: 'silent' });

/**
 * The auditor in a real browser: an incident's chain-of-thought report, exported as PDF and JSON
 * (the JSON's frame hashes are the stored ones, and the page, the PDF and the JSON show one content
 * hash); a long local-analysis incident paged through its evidence; and the audit chain verified by
 * a job in the worker, intact, then broken by one row changed behind the application's back, and
 * reported broken at that very row.
 */
jest.setTimeout(60_000);

let stack: E2eStack;
let browser: Browser;
/** The worker's audit queue (verifications), as a worker process serves it. */
let auditWorkers: JobWorkers;
let workerConnection: ReturnType<typeof createRedis>;
let incidentId: string;
let reviewItemId: string;

beforeAll(async () => {
  let frames: Buffer[];
  [stack, browser, frames] = await Promise.all([
    startE2eStack({ prefix: 'e2e-audit' }),
    launchBrowser(),
    sampleFrames(4),
  ]);
  // An incident from the rules runner, decided by the moderator through the review service.
  const streamId = await stack.createStream('Audited lawn');
  const fired = await stack.analyseAndFire(streamId, personOnLawnResult(frames.length), frames);
  incidentId = fired.report.fired[0]!.incidentId;
  const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
  const item = await db.reviewItem.findFirstOrThrow({ where: { incidentId } });
  reviewItemId = item.id;
  workerConnection = createRedis(process.env.REDIS_URL!, { forWorkers: true });
  auditWorkers = startJobWorkers(
    workerConnection,
    {
      verifyAuditChain: verifyAuditChainHandler({
        prisma: stack.api.prisma,
        chain: stack.api.services.auditChain,
        lock: new AuditVerificationLock(workerConnection),
        logger: silent,
      }),
      anchorAuditChains: { run: async () => ({ skipped: true }) },
    },
    { queues: [QUEUES.audit], logger: silent },
  );
  const moderator = {
    kind: 'user' as const,
    id: stack.tenant.userIds.MODERATOR,
    tenantId: stack.tenant.tenantId,
    role: 'MODERATOR' as const,
    isPlatformAdmin: false,
  };
  await stack.api.services.reviews.claim(db, moderator, item.id);
  await stack.api.services.reviews.decide(db, moderator, item.id, {
    decision: 'CONFIRM_VIOLATION',
    reason: 'Two people on the closed lawn',
    notes: 'Gate reported to facilities',
  });
}, 120_000);

afterAll(async () => {
  await auditWorkers?.close();
  await workerConnection?.quit();
  await browser?.close();
  await stack?.stop();
});

async function downloaded(page: Page, button: string): Promise<{ download: Download; bytes: Buffer }> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: button }).click(),
  ]);
  const file = await download.path();
  return { download, bytes: await readFile(file) };
}

describe('auditor', () => {
  it('reads an incident report and exports it as PDF and as JSON with the stored frame hashes', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('AUDITOR'),
      `/incidents/${incidentId}/report`,
    );
    await page.getByRole('heading', { level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Human decision' }).waitFor();
    await page.getByText('Two people on the closed lawn').first().waitFor();
    await waitInPage(
      page,
      'document.images.length > 0 && Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0)',
    );
    await saveScreenshot(page, 'report');

    const shownHash = (await page.getByTestId('report-content-sha256').textContent())?.trim();
    expect(shownHash).toMatch(/^[0-9a-f]{64}$/);

    const pdf = await downloaded(page, 'Export PDF');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.download.suggestedFilename()).toMatch(/\.pdf$/);
    expect(pdfInfo(pdf.bytes, 'VigilContentSha256')).toBe(shownHash);

    const json = await downloaded(page, 'Export JSON');
    expect(json.download.suggestedFilename()).toMatch(/\.json$/);
    const report = JSON.parse(json.bytes.toString('utf8')) as {
      contentSha256: string;
      kind: string;
      incident: { id: string };
      analyses: { frames: { id: string; sha256: string }[] }[];
      reviewItem?: { decision: string; decidedBy?: { email: string } } | null;
    };
    expect(report.kind).toBe('incident');
    expect(report.contentSha256).toBe(shownHash);
    expect(report.incident.id).toBe(incidentId);
    const reported = report.analyses.flatMap((analysis) => analysis.frames);
    expect(reported.length).toBe(4);
    const stored = await stack.api.prisma.frame.findMany({
      where: { id: { in: reported.map((frame) => frame.id) } },
      select: { id: true, sha256: true },
    });
    expect(stored).toHaveLength(reported.length);
    const storedHash = new Map(stored.map((frame) => [frame.id, frame.sha256]));
    for (const frame of reported) expect(frame.sha256).toBe(storedHash.get(frame.id));
    await context.close();
  });

  it('pages through the local analyses of a 1,000-window incident, with no model settings', async () => {
    const { incidentId: longIncidentId } = await createLargeIncident({
      prisma: stack.api.prisma,
      putFrame: (key, jpeg) => stack.api.services.windows.store.put(key, jpeg),
      tenantId: stack.tenant.tenantId,
      streamId: stack.tenant.ids.streamId,
      versionId: stack.tenant.ids.versionId,
      ruleId: stack.tenant.ids.ruleId,
      windows: 1000,
      // Enough distinct frames that a later page's frames are found only further into the evidence.
      storedFrames: 200,
    });
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('AUDITOR'),
      `/incidents/${longIncidentId}/report`,
    );
    await page.getByRole('heading', { level: 1, name: 'Incident report — local analysis' }).waitFor();
    const pager = page.getByRole('navigation', { name: 'Evidence pages' }).first();
    await pager.getByText('Evidence: analyses 1–50 of 1000').waitFor();
    await page.getByRole('heading', { name: /Analysis 1 of 1000 — Local analysis/ }).waitFor();
    await page.getByRole('heading', { name: 'How the local analyser reached it' }).first().waitFor();
    const firstHash = (await page.getByTestId('report-content-sha256').textContent())?.trim();
    const text = (await page.locator('main').textContent()) ?? '';
    for (const absent of [
      'Sampling settings',
      'Thinking budget',
      'Chain-of-thought report',
      'THINKING',
      'Thinking',
    ])
      expect({ absent, found: text.includes(absent) }).toEqual({ absent, found: false });
    await page
      .getByRole('navigation', { name: 'Evidence pages' })
      .first()
      .evaluate((nav) => nav.scrollIntoView());
    await saveScreenshot(page, 'report-local');

    await pager.getByRole('button', { name: 'Next analyses →' }).click();
    await pager.getByText('Evidence: analyses 51–100 of 1000').waitFor();
    await page.getByRole('heading', { name: /Analysis 51 of 1000 — Local analysis/ }).waitFor();
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
    // Another page of the same report: the same hash, and its export is that page.
    expect((await page.getByTestId('report-content-sha256').textContent())?.trim()).toBe(firstHash);
    const json = await downloaded(page, 'Export JSON');
    const exported = JSON.parse(json.bytes.toString('utf8')) as {
      contentSha256: string;
      analysesPage: { page: number };
    };
    expect(exported).toMatchObject({ contentSha256: firstHash, analysesPage: { page: 2 } });

    // Page 3's frames come from the evidence's second hundred firings: their images load too.
    await pager.getByRole('button', { name: 'Next analyses →' }).click();
    await page.getByRole('heading', { name: /Analysis 101 of 1000 — Local analysis/ }).waitFor();
    await waitInPage(
      page,
      `!document.querySelector('.frame-missing') && document.querySelectorAll('.report-frames img').length >= ${12 + 50 * 8} && Array.from(document.querySelectorAll('.report-frames img')).every((img) => img.complete && img.naturalWidth > 0)`,
    );
    await context.close();
  }, 120_000);

  it('verifies the audit chain, and finds the row changed behind its back', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('AUDITOR'),
      '/incidents',
    );
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const result = page.getByRole('status').filter({ hasText: /Chain|verif/i });

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await result.getByText('Chain intact:').waitFor();
    // The worker verified it as a job, recorded with who asked; this stack has no MAC key, and says so.
    const job = await stack.api.prisma.auditVerification.findFirstOrThrow({
      where: { tenantId: stack.tenant.tenantId },
      orderBy: { createdAt: 'desc' },
    });
    expect(job).toMatchObject({ status: 'DONE', ok: true, requestedById: stack.tenant.userIds.AUDITOR });
    await page
      .getByTestId('verify-protection')
      .getByText(/^Not keyed: hashes are plain sha256/)
      .waitFor();

    // Change the decision's audit row with raw SQL, as a database superuser could: the table's
    // append-only trigger is skipped with session_replication_role = replica.
    const decided = await stack.api.prisma.auditEvent.findFirstOrThrow({
      where: { tenantId: stack.tenant.tenantId, entityId: reviewItemId, action: 'reviewItem.decide' },
    });
    expect(decided.chainIndex).not.toBeNull();
    const [, changed] = await stack.api.prisma.$transaction([
      stack.api.prisma.$executeRaw`SET LOCAL session_replication_role = replica`,
      stack.api.prisma
        .$executeRaw`UPDATE "AuditEvent" SET data = '{"tampered":true}'::jsonb WHERE id = ${decided.id}::uuid`,
    ]);
    expect(changed).toBe(1);

    // With the worker busy elsewhere the job waits, and the page says how far it has got.
    const audit = auditWorkers.workers.get(QUEUES.audit)!;
    await audit.pause();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await result.getByText(/^Verification queued… .*0 of \d+ events checked$/).waitFor();
    await page.getByRole('progressbar', { name: 'Events checked' }).waitFor();
    await saveScreenshot(page, 'audit-verify-progress');
    audit.resume();
    await result.getByText(`Chain broken at event #${decided.chainIndex}`).waitFor();
    await result.getByText(decided.id).waitFor();
    await saveScreenshot(page, 'audit-log');
    // "Show event" lists the log from that event backwards, the broken row first and focused.
    await page.getByRole('button', { name: `Show event #${decided.chainIndex} in the log` }).click();
    const brokenRow = page.locator(`#audit-event-${decided.id}`);
    await brokenRow.getByText('broken link').waitFor();
    await waitInPage(page, `document.activeElement?.id === 'audit-event-${decided.id}'`);
    await context.close();
  });
});
