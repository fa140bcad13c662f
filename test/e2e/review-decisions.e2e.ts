import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { dismissToasts, launchBrowser, signedInPage, waitInPage } from '../support/browser';
import {
  eventually,
  personOnLawnResult,
  sampleFrames,
  startE2eStack,
  type E2eStack,
} from '../support/e2e-stack';
import { PASSWORD } from '../support/tenant-fixture';

/**
 * The decision loop a moderator and an auditor can trust, in a real browser: no decision without
 * a reason the moderator chose and, for a confirmed violation, an explicit confirmation; a
 * dismissal that can be undone within its window (and is then never sent); "submit and next"
 * across every queue; queue rows with their keyframe and who holds them; the stream page's Stop
 * asks first. Screens are saved to E2E_SHOTS_DIR (default /tmp/shots-console) for a person to look at.
 */
jest.setTimeout(90_000);

const SHOTS = process.env.E2E_SHOTS_DIR || '/tmp/shots-console';

let stack: E2eStack;
let browser: Browser;
let frames: Buffer[];
let reasonId: string;

const item = `id status decision reason policy policyReasonId notes assigneeId`;
type ItemView = {
  id: string;
  status: string;
  decision: string | null;
  reason: string | null;
  policy: string | null;
  policyReasonId: string | null;
  notes: string | null;
  assigneeId: string | null;
};

beforeAll(async () => {
  [stack, browser, frames] = await Promise.all([
    startE2eStack({ prefix: 'e2e-decide' }),
    launchBrowser(),
    sampleFrames(4),
  ]);
  await mkdir(SHOTS, { recursive: true });
  const created = await stack.api.gql<{ createPolicyReason: { id: string } }>(
    `mutation($input: PolicyReasonInput!) { createPolicyReason(input: $input) { id } }`,
    {
      input: {
        label: 'Walking on the lawn',
        policy: 'Site rules §3: the lawn is closed to the public',
        decisions: ['CONFIRM_VIOLATION', 'STOP_STREAM'],
      },
    },
    stack.tenant.sessions.ADMIN,
  );
  reasonId = created.data!.createPolicyReason.id;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function shot(page: Page, name: string, options: { keepToasts?: boolean; fullPage?: boolean } = {}) {
  if (!options.keepToasts) await dismissToasts(page);
  await page.screenshot({
    path: path.join(SHOTS, `${name}.png`),
    animations: 'disabled',
    caret: 'hide',
    fullPage: options.fullPage ?? false,
  });
}

/** The item as the API shows it to the moderator. */
async function itemViaApi(id: string): Promise<ItemView> {
  const response = await stack.api.gql<{ reviewItem: ItemView }>(
    `query($id: ID!) { reviewItem(reviewItemId: $id) { ${item} } }`,
    { id },
    stack.tenant.sessions.MODERATOR,
  );
  return response.data!.reviewItem;
}

/** A new stream with one incident and its review item, made by the real rules runner. */
async function firedItem(streamName: string): Promise<{ streamId: string; reviewItemId: string }> {
  const streamId = await stack.createStream(streamName);
  const fired = await stack.analyseAndFire(streamId, personOnLawnResult(frames.length), frames);
  const incidentId = fired.report.fired[0]!.incidentId;
  const row = await stack.api.prisma.reviewItem.findFirstOrThrow({ where: { incidentId } });
  return { streamId, reviewItemId: row.id };
}

const imagesLoaded =
  'document.images.length > 0 && Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0)';

async function claimInPage(page: Page, reviewItemId: string): Promise<void> {
  await page.goto(new URL(`/review/${reviewItemId}`, stack.api.url).toString());
  await page.getByRole('button', { name: /^Claim/ }).click();
  await page.getByRole('group', { name: 'Decision' }).waitFor();
}

it('records a violation only with a chosen reason and a confirmation naming it and its policy', async () => {
  const { streamId, reviewItemId } = await firedItem('Decision lawn');
  const { context, page } = await signedInPage(browser, stack.api.url, stack.login('MODERATOR'), '/queue');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await claimInPage(page, reviewItemId);
  await page.getByLabel(/Submit and next/).uncheck();
  await page.evaluate('document.activeElement && document.activeElement.blur()');

  // Bare keys only choose: V and S record nothing.
  await page.keyboard.press('v');
  await page.keyboard.press('Escape');
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  await page.keyboard.press('s');
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  await page.keyboard.press('v');
  expect(await itemViaApi(reviewItemId)).toMatchObject({ status: 'CLAIMED', decision: null });

  // Without a reason, the form says so and sends nothing.
  await page.getByRole('button', { name: /^Confirm violation…/ }).click();
  await page
    .getByRole('alert')
    .getByText(/Choose a reason from the list or type your own/)
    .waitFor();
  expect(await itemViaApi(reviewItemId)).toMatchObject({ status: 'CLAIMED', decision: null });

  // The list offers only reasons that fit the decision; chosen from the keyboard.
  const list = page.getByRole('listbox');
  await list.getByRole('option', { name: /Walking on the lawn/ }).waitFor();
  expect(await list.getByRole('option', { name: /Nothing against the policy/ }).count()).toBe(1); // fits any
  await list.focus();
  await page.keyboard.press('Home');
  // Move to "Walking on the lawn" wherever it is, then choose it with Enter.
  const labels = await list.getByRole('option').allTextContents();
  const at = labels.findIndex((label) => label.startsWith('Walking on the lawn'));
  for (let i = 0; i < at; i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await waitInPage(
    page,
    `document.querySelector('[role=option][aria-selected=true]')?.textContent.startsWith('Walking on the lawn')`,
  );
  await page.getByLabel(/Notes \(optional/).fill('Two people, frames 2–4');
  await shot(page, 'review-decision-reason-chosen');

  // The confirmation names the reason and its policy; Escape leaves it unsent.
  await page.getByRole('button', { name: /^Confirm violation…/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm violation?' });
  await dialog.getByText('Site rules §3: the lawn is closed to the public').waitFor();
  await dialog.getByText('Walking on the lawn').waitFor();
  expect(await page.evaluate('document.activeElement?.textContent')).toMatch(/^Confirm violation/);
  // Tab stays inside the dialog.
  for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
  expect(await page.evaluate(`!!document.activeElement?.closest('dialog')`)).toBe(true);
  await shot(page, 'review-confirm-dialog');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  expect(await itemViaApi(reviewItemId)).toMatchObject({ status: 'CLAIMED', decision: null });

  // Enter confirms: now, and only now, the decision is recorded with the chosen reason.
  await page.getByRole('button', { name: /^Confirm violation…/ }).click();
  await dialog.waitFor();
  await page.keyboard.press('Enter');
  const decided = page.getByTestId('decided');
  await decided.getByText('Site rules §3: the lawn is closed to the public').waitFor();
  await decided.getByText('Walking on the lawn').waitFor();
  expect(await itemViaApi(reviewItemId)).toMatchObject({
    status: 'RESOLVED',
    decision: 'CONFIRM_VIOLATION',
    reason: 'Walking on the lawn',
    policy: 'Site rules §3: the lawn is closed to the public',
    policyReasonId: reasonId,
    notes: 'Two people, frames 2–4',
  });
  await shot(page, 'review-decided');

  // The stream page's Stop asks first; Escape leaves the stream running.
  await page.goto(new URL(`/streams/${streamId}`, stack.api.url).toString());
  await page.getByRole('heading', { name: 'Decision lawn' }).waitFor();
  const before = await stack.api.prisma.stream.findUniqueOrThrow({ where: { id: streamId } });
  await page.getByRole('button', { name: 'Stop…' }).click();
  await page.getByRole('dialog', { name: 'Stop Decision lawn?' }).waitFor();
  await shot(page, 'stream-stop-confirm');
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'Stop Decision lawn?' }).waitFor({ state: 'hidden' });
  const after = await stack.api.prisma.stream.findUniqueOrThrow({ where: { id: streamId } });
  expect(after.status).toBe(before.status);
  await context.close();
});

it('holds a dismissal for its undo window: undone, nothing is sent; not undone, it is sent with its reason', async () => {
  const { reviewItemId } = await firedItem('Undo lawn');
  const { context, page } = await signedInPage(browser, stack.api.url, stack.login('MODERATOR'), '/queue');
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await claimInPage(page, reviewItemId);
  await page.getByLabel(/Submit and next/).uncheck();
  await page.getByRole('button', { name: /^Dismiss D$/ }).click();
  await page.getByLabel('Or in your own words').fill('A gardener at work');
  await page.getByRole('button', { name: /^Dismiss \(5 s to undo\)/ }).click();
  const pending = page.getByTestId('pending-decision');
  await pending.waitFor();
  await shot(page, 'review-undo-window', { keepToasts: true });
  await pending.getByRole('button', { name: /^Undo/ }).click();
  await page.getByText(/Undone: nothing was recorded/).waitFor();
  // Past the window: still claimed by the moderator, undecided.
  await new Promise((resolve) => setTimeout(resolve, 6_500));
  expect(await itemViaApi(reviewItemId)).toMatchObject({
    status: 'CLAIMED',
    decision: null,
    reason: null,
    assigneeId: stack.tenant.userIds.MODERATOR,
  });

  // The same, not undone: sent when the window ends.
  await page.getByRole('button', { name: /^Dismiss D$/ }).click();
  await page.getByLabel('Or in your own words').fill('A gardener at work');
  await page.getByRole('button', { name: /^Dismiss \(5 s to undo\)/ }).click();
  await pending.waitFor();
  expect((await itemViaApi(reviewItemId)).status).toBe('CLAIMED');
  const sent = await eventually(async () => {
    const view = await itemViaApi(reviewItemId);
    return view.status === 'RESOLVED' ? view : null;
  }, 10_000);
  expect(sent).toMatchObject({
    decision: 'DISMISS',
    reason: 'A gardener at work',
    policy: null,
    policyReasonId: null,
  });
  await page.getByTestId('decided').getByText('A gardener at work').waitFor();
  await context.close();
});

it('shows thumbnails and who holds claimed rows; "submit and next" takes the next item over all queues', async () => {
  const first = await firedItem('Queue lawn');
  // The most urgent item of the tenant sits in another queue than the one decided.
  const other = await firedItem('Queue walkway');
  const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
  await db.reviewItem.update({ where: { id: other.reviewItemId }, data: { queue: 'walkway', priority: 99 } });
  // The walkway incident goes on firing: seven firings, shown five at a time.
  for (let i = 0; i < 6; i++)
    await stack.analyseAndFire(other.streamId, personOnLawnResult(frames.length), frames);
  const otherIncident = await db.incident.findFirstOrThrow({ where: { streamId: other.streamId } });
  expect(otherIncident.firings).toBe(7);
  const firstQueue = (await db.reviewItem.findUniqueOrThrow({ where: { id: first.reviewItemId } })).queue;
  expect(firstQueue).not.toBe('walkway');
  // Deadlines as people read them: the lawn item is 34 s late to be claimed; the walkway queue
  // pauses items of streams no longer live (these test streams are not running).
  await db.reviewItem.update({
    where: { id: first.reviewItemId },
    data: { claimDueAt: new Date(Date.now() - 34_000) },
  });
  const paused = await stack.api.gql(
    'mutation($input: ReviewQueueInput!) { setReviewQueue(input: $input) { id } }',
    { input: { name: 'walkway', whenStreamNotLive: 'PAUSE' } },
    stack.tenant.sessions.ADMIN,
  );
  expect(paused.errors).toBeUndefined();
  // A third item held by a second moderator: its row names them.
  const held = await firedItem('Queue held');
  const admin = {
    kind: 'user' as const,
    id: stack.tenant.userIds.ADMIN,
    tenantId: stack.tenant.tenantId,
    role: 'ADMIN' as const,
    isPlatformAdmin: false,
  };
  const email = `colleague@${stack.tenant.slug}.test`;
  await stack.api.services.users.create(db, admin, { email, role: 'MODERATOR', password: PASSWORD });
  const login = await stack.api.gql<{ login: { token: string } }>(
    'mutation($input: LoginInput!) { login(input: $input) { token } }',
    { input: { tenantSlug: stack.tenant.slug, email, password: PASSWORD } },
  );
  const claimed = await stack.api.gql(
    'mutation($id: ID!) { claimReviewItem(reviewItemId: $id) { id } }',
    { id: held.reviewItemId },
    login.data!.login.token,
  );
  expect(claimed.errors).toBeUndefined();

  const { context, page } = await signedInPage(browser, stack.api.url, stack.login('MODERATOR'), '/queue');
  const heldRow = page.locator(`[data-review-item-id="${held.reviewItemId}"]`);
  await heldRow.getByText(`by ${email}`).waitFor();
  const firstRow = page.locator(`[data-review-item-id="${first.reviewItemId}"]`);
  await firstRow.getByText('Queue lawn').waitFor();
  await waitInPage(
    page,
    `(() => { const img = document.querySelector('[data-review-item-id="${first.reviewItemId}"] img.queue-thumb'); return !!img && img.complete && img.naturalWidth > 0; })()`,
  );
  await heldRow.getByText(/Decide within \d+m \d\ds/).waitFor();
  await firstRow.getByText(/^Claim overdue (3\d|4\d) s$/).waitFor();
  const otherRow = page.locator(`[data-review-item-id="${other.reviewItemId}"]`);
  await otherRow.getByText('Paused: stream ended').waitFor();
  expect(await page.locator('.queue-list').textContent()).not.toMatch(/-\d+m/);
  // Every row's thumbnail is the incident's first keyframe, loaded (the fixture's own item names a
  // frame whose JPEG was never stored: its row shows the empty placeholder instead).
  await waitInPage(
    page,
    `Array.from(document.querySelectorAll('img.queue-thumb')).length >= 3 && Array.from(document.querySelectorAll('img.queue-thumb')).every((img) => img.complete && img.naturalWidth > 0)`,
  );
  await shot(page, 'queue');

  // Viewing all queues: deciding the lawn item moves on to the walkway one.
  await claimInPage(page, first.reviewItemId);
  await page.getByText('Submit and next: then claim the next item of all queues').waitFor();
  await page
    .getByRole('listbox')
    .getByRole('option', { name: /Nothing against the policy/ })
    .waitFor();
  await page.keyboard.press('d');
  // The focus moves to the reasons list: Enter chooses the first fitting reason and moves the
  // focus to the submit button, where Enter submits.
  await waitInPage(page, `document.activeElement?.getAttribute('role') === 'listbox'`);
  await page.keyboard.press('Enter');
  await waitInPage(page, `document.activeElement?.textContent?.startsWith('Dismiss (5 s to undo)')`);
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/review/${other.reviewItemId}`, { timeout: 15_000 });
  await page.getByRole('group', { name: 'Decision' }).waitFor();
  expect(await itemViaApi(other.reviewItemId)).toMatchObject({
    status: 'CLAIMED',
    assigneeId: stack.tenant.userIds.MODERATOR,
  });
  // The lawn item's dismissal was held, then sent while the moderator already worked on.
  await eventually(
    async () => ((await itemViaApi(first.reviewItemId)).status === 'RESOLVED' ? true : null),
    10_000,
  );
  await dismissToasts(page);

  // The item's screen: firings paged (no button per window), notes, the stream's recent items;
  // keyframes enlarge.
  const range = page.getByTestId('firing-range');
  await range.getByText(/^1–5 of 7 · /).waitFor();
  expect(
    await page
      .getByRole('radiogroup', { name: /Firings on this page/ })
      .getByRole('radio')
      .count(),
  ).toBe(5);
  await page.getByRole('button', { name: 'Newer firings →' }).click();
  await range.getByText(/^6–7 of 7 · /).waitFor();
  expect(await page.getByRole('button', { name: 'Newer firings →' }).isDisabled()).toBe(true);
  await page.getByRole('button', { name: '← Older firings' }).click();
  await range.getByText(/^1–5 of 7 · /).waitFor();
  await page.getByLabel('Add a note for other moderators and the record').fill('Same pair as on the lawn');
  await page.getByRole('button', { name: 'Add note' }).click();
  await page.locator('.notes-list').getByText('Same pair as on the lawn').waitFor();
  await page.getByRole('heading', { name: 'Lately on Queue walkway' }).waitFor();
  await waitInPage(page, imagesLoaded);
  await shot(page, 'review-item', { fullPage: true });
  await page
    .getByRole('button', { name: /^Enlarge frame/ })
    .first()
    .click();
  const lightbox = page.getByRole('dialog', { name: /^Frame \d+ at/ });
  await lightbox.waitFor();
  await waitInPage(
    page,
    `(() => { const img = document.querySelector('dialog.modal-frame img'); return !!img && img.complete && img.naturalWidth > 0; })()`,
  );
  await page.keyboard.press('ArrowRight');
  await lightbox.getByText(/^2 of \d+/).waitFor();
  await shot(page, 'review-keyframe-enlarged');
  await page.keyboard.press('Escape');
  await lightbox.waitFor({ state: 'hidden' });
  await context.close();
});
