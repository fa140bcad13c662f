import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { launchBrowser, signedInPage, waitInPage } from '../support/browser';
import { personOnLawnResult, sampleFrames, startE2eStack, type E2eStack } from '../support/e2e-stack';

/**
 * The main screens of every role checked by axe-core (the engine behind Lighthouse's and most
 * browsers' accessibility audits) for WCAG 2 A/AA problems: missing labels and names, contrast,
 * landmarks, roles and ARIA misuse. Serious and critical findings fail the test; each is reported
 * with its rule and the elements it found.
 */
jest.setTimeout(90_000);

let stack: E2eStack;
let browser: Browser;
let reviewItemId: string;
let incidentId: string;
let streamId: string;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

beforeAll(async () => {
  let frames: Buffer[];
  [stack, browser, frames] = await Promise.all([
    startE2eStack({ prefix: 'e2e-a11y' }),
    launchBrowser(),
    sampleFrames(4),
  ]);
  streamId = await stack.createStream('Accessible lawn');
  const fired = await stack.analyseAndFire(streamId, personOnLawnResult(frames.length), frames);
  incidentId = fired.report.fired[0]!.incidentId;
  const item = await stack.api.prisma.reviewItem.findFirstOrThrow({ where: { incidentId } });
  reviewItemId = item.id;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Runs axe-core in the page (injected from node_modules, no network) and returns its violations. */
async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol: the console's CSP rightly refuses injected scripts.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
       .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
  )) as AxeViolation[];
}

async function expectAccessible(page: Page, path: string, ready: () => Promise<unknown>): Promise<void> {
  await page.goto(new URL(path, stack.api.url).toString());
  await ready();
  // Judge the loaded screen, not its spinner.
  await waitInPage(page, "document.querySelector('.spinner') === null");
  const serious = (await axeViolations(page)).filter(
    (v) => v.impact === 'serious' || v.impact === 'critical',
  );
  const described = serious.map(
    (v) =>
      `${path}: ${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`,
  );
  expect(described).toEqual([]);
}

it('the login screen has no serious WCAG A/AA problems', async () => {
  const page = await browser.newPage();
  await page.goto(stack.api.url);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const serious = (await axeViolations(page)).filter(
    (v) => v.impact === 'serious' || v.impact === 'critical',
  );
  expect(serious.map((v) => v.id)).toEqual([]);
  await page.close();
});

it("a moderator's screens have no serious WCAG A/AA problems", async () => {
  const { context, page } = await signedInPage(browser, stack.api.url, stack.login('MODERATOR'));
  await expectAccessible(page, '/queue', () =>
    page.getByRole('table', { name: 'Unresolved review items' }).waitFor(),
  );
  await expectAccessible(page, `/review/${reviewItemId}`, () =>
    page.getByRole('heading', { name: 'Findings' }).waitFor(),
  );
  // Claimed: the decision form (decisions, the reasons list, notes), then its confirmation dialog.
  const claimed = await stack.api.gql(
    'mutation($id: ID!) { claimReviewItem(reviewItemId: $id) { id } }',
    { id: reviewItemId },
    stack.tenant.sessions.MODERATOR,
  );
  expect(claimed.errors).toBeUndefined();
  await expectAccessible(page, `/review/${reviewItemId}`, () =>
    page.getByRole('listbox').getByRole('option').first().waitFor(),
  );
  await page.getByRole('button', { name: /^Confirm violation V$/ }).click();
  await page.getByRole('option', { name: /Nothing against the policy/ }).click();
  await page.getByRole('button', { name: /^Confirm violation…/ }).click();
  await page.getByRole('dialog', { name: 'Confirm violation?' }).waitFor();
  const inDialog = (await axeViolations(page)).filter(
    (v) => v.impact === 'serious' || v.impact === 'critical',
  );
  expect(inDialog.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.keyboard.press('Escape');
  await expectAccessible(page, '/streams', () =>
    page.getByRole('link', { name: 'Accessible lawn' }).waitFor(),
  );
  await expectAccessible(page, `/streams/${streamId}`, () =>
    page.getByRole('heading', { name: 'Recent analyses' }).waitFor(),
  );
  await context.close();
});

it("an admin's screens have no serious WCAG A/AA problems", async () => {
  const { context, page } = await signedInPage(browser, stack.api.url, stack.login('ADMIN'));
  const { templateId, ruleId } = stack.tenant.ids;
  for (const [path, heading] of [
    ['/admin/templates', 'Prompt templates'],
    [`/admin/templates/${templateId}`, /^Template: /],
    ['/admin/rules', 'Rules'],
    [`/admin/rules/${ruleId}`, /^Rule: /],
    ['/admin/rules/new', 'New rule'],
    ['/admin/queues', 'Review queue settings'],
    ['/admin/users', 'Users'],
    ['/admin/api-keys', 'API keys'],
    ['/admin/webhooks', 'Webhooks'],
    ['/admin/streams/new', 'Add a stream'],
    // The stream page with the editor of its zones and lines.
    [`/streams/${streamId}`, 'Accessible lawn'],
  ] as const) {
    await expectAccessible(page, path, () =>
      page.getByRole('heading', { level: 1, name: heading }).waitFor(),
    );
  }
  await context.close();
});

it("an auditor's screens have no serious WCAG A/AA problems", async () => {
  const { context, page } = await signedInPage(browser, stack.api.url, stack.login('AUDITOR'));
  await expectAccessible(page, '/incidents', () =>
    page
      .getByRole('link', { name: /^View report/ })
      .first()
      .waitFor(),
  );
  await expectAccessible(page, `/incidents/${incidentId}/report`, () =>
    page.getByRole('button', { name: 'Export PDF' }).waitFor(),
  );
  await expectAccessible(page, '/audit', () => page.getByRole('button', { name: 'Verify chain' }).waitFor());
  await context.close();
});

it('the password screens have no serious WCAG A/AA problems', async () => {
  const own = await signedInPage(browser, stack.api.url, stack.login('MODERATOR'));
  await expectAccessible(own.page, '/account/password', () =>
    own.page.getByRole('heading', { level: 1, name: 'Your password' }).waitFor(),
  );
  await own.context.close();
  // After an admin's reset, the temporary password opens only the screen that changes it.
  const { temporaryPassword } = await stack.api.services.users.resetPassword(
    tenantDb(stack.api.prisma, stack.tenant.tenantId),
    {
      kind: 'user',
      id: stack.tenant.userIds.ADMIN,
      tenantId: stack.tenant.tenantId,
      role: 'ADMIN',
      isPlatformAdmin: false,
    },
    stack.tenant.userIds.MODERATOR,
  );
  const forced = await signedInPage(browser, stack.api.url, {
    ...stack.login('MODERATOR'),
    password: temporaryPassword,
  });
  await expectAccessible(forced.page, '/', () =>
    forced.page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor(),
  );
  await forced.context.close();
});
