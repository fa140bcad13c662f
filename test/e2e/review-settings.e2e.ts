import type { Browser } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { launchBrowser, saveScreenshot, signedInPage } from '../support/browser';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';

/**
 * An admin keeps the review settings in a real browser: adds a policy reason that only justifies
 * stopping a stream, archives another only after confirming, and has a queue's late items wait once
 * their stream has ended.
 */
jest.setTimeout(90_000);

let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack({ prefix: 'e2e-settings' }), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

it('adds a policy reason, archives one after confirming, and sets what a queue does once its stream ends', async () => {
  const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
  const { context, page } = await signedInPage(browser, stack.api.url, stack.login('ADMIN'), '/admin/queues');
  await page.getByRole('heading', { name: 'Policy reasons' }).waitFor();
  // The fixture's reason is listed and offered.
  const fixtureRow = page.locator('[data-policy-reason="Nothing against the policy"]');
  await fixtureRow.getByText('offered').waitFor();

  // Add a reason that justifies only stopping a stream; a missing label is refused at its field.
  const form = page.locator('form[aria-labelledby="reason-new-title"]');
  await form.getByRole('button', { name: 'Add reason' }).click();
  // The error is shown at the Reason field (the field's own error list), and nothing is stored.
  await form.locator('label', { hasText: 'Reason' }).locator('xpath=..').locator('.field-error').waitFor();
  expect(await db.policyReason.count()).toBe(1);
  await form.getByLabel('Reason').fill('Dangerous stunt on camera');
  await form.getByLabel('Policy it applies').fill('Safety policy 2.4');
  await form.getByLabel('Stop stream').check();
  await form.getByRole('button', { name: 'Add reason' }).click();
  const added = page.locator('[data-policy-reason="Dangerous stunt on camera"]');
  await added.getByText('Stop stream').waitFor();
  await added.getByText('Safety policy 2.4').waitFor();
  expect(
    await db.policyReason.findFirstOrThrow({ where: { label: 'Dangerous stunt on camera' } }),
  ).toMatchObject({
    policy: 'Safety policy 2.4',
    decisions: ['STOP_STREAM'],
    archivedAt: null,
  });

  // Archiving asks first: cancelling changes nothing, confirming archives.
  await fixtureRow.getByRole('button', { name: /Archive/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Archive this reason?' });
  await dialog.waitFor();
  await saveScreenshot(page, 'policy-reason-archive');
  await page.screenshot({ path: '/tmp/policy-reason-archive.png' });
  await dialog.getByRole('button', { name: /Cancel/ }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect(
    (await db.policyReason.findUniqueOrThrow({ where: { id: stack.tenant.ids.policyReasonId } })).archivedAt,
  ).toBeNull();
  await fixtureRow.getByRole('button', { name: /Archive/ }).click();
  await dialog.getByRole('button', { name: 'Archive reason' }).click();
  await fixtureRow.getByText(/^archived/).waitFor();
  expect(
    (await db.policyReason.findUniqueOrThrow({ where: { id: stack.tenant.ids.policyReasonId } })).archivedAt,
  ).not.toBeNull();

  // A queue whose late items wait once their stream has ended.
  const queueForm = page.locator('form[aria-labelledby="queue-new-title"]');
  await queueForm.getByLabel('Queue name').fill('night-shift');
  await queueForm.getByLabel('Once its stream is stopped or ended').selectOption('PAUSE');
  await queueForm.getByRole('button', { name: 'Save queue settings' }).click();
  await page.getByRole('rowheader', { name: 'night-shift' }).waitFor();
  expect(await db.reviewQueue.findFirstOrThrow({ where: { name: 'night-shift' } })).toMatchObject({
    whenStreamNotLive: 'PAUSE',
  });
  await page.screenshot({ path: '/tmp/review-settings.png', fullPage: true });
  await context.close();
});
