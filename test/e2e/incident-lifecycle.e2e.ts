import type { Browser } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { closeQuietIncidents } from '../../src/workers/close-quiet-incidents.processor';
import { launchBrowser, saveScreenshot, signedInPage } from '../support/browser';
import { personOnLawnResult, sampleFrames, startE2eStack, type E2eStack } from '../support/e2e-stack';

/**
 * Incidents that end, as an auditor sees them in a real browser: a rule fires, stays quiet for its
 * cooldown, the incident is closed by the worker's job, and the next firing opens a new incident
 * beside it.
 */
jest.setTimeout(90_000);

let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack({ prefix: 'e2e-lifecycle' }), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('shows an incident that closed after its rule stayed quiet, and the new one after it', async () => {
  const frames = await sampleFrames(2);
  const streamId = await stack.createStream('Quiet lawn');
  const first = await stack.analyseAndFire(streamId, personOnLawnResult(frames.length), frames);
  const firstId = first.report.fired[0]!.incidentId;
  const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
  const rule = await db.rule.findUniqueOrThrow({ where: { id: stack.tenant.ids.ruleId } });

  // The worker's job, run as it would once the rule's cooldown has passed without a firing.
  const quietUntil = new Date(Date.now() + (rule.cooldownSeconds + 5) * 1000);
  await closeQuietIncidents(stack.api.prisma, null, quietUntil);
  expect(await db.incident.findUniqueOrThrow({ where: { id: firstId } })).toMatchObject({
    status: 'CLOSED',
    closeReason: 'quiet',
  });
  // The next firing: a window after the quiet spell opens a new incident.
  const later = await stack.analyseAndFire(
    streamId,
    personOnLawnResult(frames.length, new Date(quietUntil.getTime() + 10_000)),
    frames,
  );
  const secondId = later.report.fired[0]!.incidentId;
  expect(secondId).not.toBe(firstId);
  expect(later.report.fired[0]!.opened).toBe(true);

  const { context, page } = await signedInPage(
    browser,
    stack.api.url,
    stack.login('AUDITOR'),
    `/incidents?stream=${streamId}`,
  );
  const rows = page.getByRole('row').filter({ hasText: 'View report' });
  await rows.first().waitFor();
  expect(await rows.count()).toBe(2);
  // Newest first: the open one, then the one that ended, saying why.
  await rows.nth(0).locator('.badge.status-OPEN').waitFor();
  await rows.nth(1).locator('.badge.status-CLOSED').waitFor();
  await rows.nth(1).getByText('ended: rule quiet for its cooldown').waitFor();
  expect(
    await rows
      .nth(0)
      .getByText(/ended:/)
      .count(),
  ).toBe(0);
  await saveScreenshot(page, 'incidents-ended');
  await page.screenshot({ path: '/tmp/incidents-ended.png' });
  await context.close();
});
