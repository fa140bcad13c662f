import type { Browser, Page } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import {
  launchBrowser,
  newUserContext,
  saveScreenshot,
  signedInPage,
  signIn,
  waitInPage,
} from '../support/browser';
import {
  eventually,
  personOnLawnResult,
  sampleFrames,
  startE2eStack,
  type E2eStack,
} from '../support/e2e-stack';
import { PASSWORD } from '../support/tenant-fixture';

/**
 * The moderator's shift in a real browser: the live queue gets an item the real pipeline made (a
 * window analysed by the worker through a fake vLLM node, the rules runner firing the tenant's
 * rule), with no reload; the moderator claims it with `c`, chooses "dismiss" with `d` and a listed
 * reason with Enter, submits, and the dismissal is sent once its undo window ends. Then two
 * moderators race for one item and exactly one wins.
 */
jest.setTimeout(60_000);

let stack: E2eStack;
let browser: Browser;
let frames: Buffer[];

beforeAll(async () => {
  [stack, browser, frames] = await Promise.all([
    startE2eStack({ worker: true, prefix: 'e2e-mod' }),
    launchBrowser(),
    sampleFrames(4),
  ]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const row = (page: Page, reviewItemId: string) => page.locator(`[data-review-item-id="${reviewItemId}"]`);

/** The id of the review item on `streamId`, once the rules engine has written it. */
const reviewItemOf = (streamId: string, timeoutMs = 30_000) =>
  eventually(
    () =>
      tenantDb(stack.api.prisma, stack.tenant.tenantId).reviewItem.findFirst({
        where: { streamId },
        select: { id: true },
      }),
    timeoutMs,
  ).then((item) => item.id);

describe('moderator', () => {
  it('sees an item from the worker arrive live, claims it with "c" and dismisses it with "d", a reason and Enter', async () => {
    const context = await newUserContext(browser);
    const page = await context.newPage();
    // The login screen, filled in, for the README.
    await page.goto(new URL('/queue', stack.api.url).toString());
    await page.getByLabel('Tenant').fill(stack.tenant.slug);
    await page.getByLabel('E-mail').fill(stack.login('MODERATOR').email);
    await page.getByLabel('Password').fill(PASSWORD);
    await saveScreenshot(page, 'login');
    await signIn(page, stack.api.url, stack.login('MODERATOR'), '/queue');
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    await page.getByText(/· live/).waitFor();
    // The fixture's item is there from the first load.
    await row(page, stack.tenant.ids.reviewItemId).waitFor();

    // More items in the queue, made by the rules runner on analyses of other streams.
    const gate = await stack.createStream('North gate');
    const dock = await stack.createStream('Loading dock');
    await stack.analyseAndFire(gate, personOnLawnResult(2));
    await stack.analyseAndFire(dock, {
      ...personOnLawnResult(2),
      anomalies: [
        { type: 'loitering', severity: 'medium', description: 'A person waits by the door', evidence: [] },
      ],
    });

    // A marker that a reload would wipe.
    await page.evaluate('window.__noReload = true');
    const lawn = await stack.createStream('Back lawn');
    await stack.analysisQueueIdle();
    await stack.fake!.control.queueResults(personOnLawnResult(frames.length));
    const windowId = await stack.queueWindow(lawn, frames);
    const reviewItemId = await reviewItemOf(lawn);

    // It went through the worker and the fake node: a VLM analysis with the node's reasoning.
    const analysis = await tenantDb(stack.api.prisma, stack.tenant.tenantId).analysis.findFirstOrThrow({
      where: { windowId },
    });
    expect(analysis).toMatchObject({ mode: 'VLM', status: 'DONE', nodeName: 'gpu-fake' });
    expect(analysis.reasoning.length).toBeGreaterThan(0);

    // The row shows up in the open page, its summary filled in, without a reload.
    const arrived = row(page, reviewItemId);
    await arrived.getByRole('link', { name: /Person on lawn/ }).waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.__noReload === true')).toBe(true);
    expect(await page.locator('[data-review-item-id]').count()).toBeGreaterThanOrEqual(4);
    await saveScreenshot(page, 'queue');

    // Select the row (a click on its first cell), then claim it from the keyboard.
    await arrived.getByRole('cell').first().click();
    await waitForAttribute(arrived, 'aria-selected', 'true');
    await page.keyboard.press('c');
    await page.waitForURL(`**/review/${reviewItemId}`);
    await page.getByText('Claimed: the item is yours').waitFor();
    const decisionButton = page.getByRole('button', { name: /^Dismiss D$/ });
    await decisionButton.waitFor();

    // The evidence: frames with boxes, findings and the model's reasoning.
    await page.getByRole('heading', { name: 'Findings' }).waitFor();
    await page.getByText('Two people walk across the closed lawn').first().waitFor();
    await waitInPage(
      page,
      'document.images.length > 0 && Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0)',
    );
    await saveScreenshot(page, 'review-item');

    // Decide on this item only (not "submit and next"), then take the focus off the checkbox so the
    // key reaches the page's shortcuts. "d" chooses the decision and moves to the reasons, Enter
    // chooses the first one that fits (the tenant's "Nothing against the policy"), Enter submits.
    await page.getByLabel(/Submit and next/).uncheck();
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    await page.keyboard.press('d');
    await page
      .getByRole('listbox')
      .getByRole('option', { name: /Nothing against the policy/ })
      .waitFor();
    await waitInPage(page, `document.activeElement?.getAttribute('role') === 'listbox'`);
    await page.keyboard.press('Enter');
    await waitInPage(page, `document.activeElement?.textContent?.startsWith('Dismiss (5 s to undo)')`);
    await page.keyboard.press('Enter');
    // Held for its undo window: nothing is recorded until it ends.
    await page.getByTestId('pending-decision').waitFor();
    expect(
      (await stack.api.prisma.reviewItem.findUniqueOrThrow({ where: { id: reviewItemId } })).status,
    ).toBe('CLAIMED');
    await page.getByText('Decided: Dismiss').waitFor({ timeout: 10_000 });
    const decided = await eventually(() =>
      stack.api.prisma.reviewItem.findFirst({ where: { id: reviewItemId, status: 'RESOLVED' } }),
    );
    expect(decided).toMatchObject({
      status: 'RESOLVED',
      decision: 'DISMISS',
      reason: 'Nothing against the policy',
      policy: 'Community guidelines 1.1',
      policyReasonId: stack.tenant.ids.policyReasonId,
      decidedById: stack.tenant.userIds.MODERATOR,
    });

    // The stream the item came from: its latest window and recent analyses.
    await page.goto(new URL(`/streams/${lawn}`, stack.api.url).toString());
    await page.getByRole('heading', { name: 'Back lawn' }).waitFor();
    await page.getByRole('heading', { name: 'Recent analyses' }).waitFor();
    await waitInPage(
      page,
      'document.images.length > 0 && Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0)',
    );
    await saveScreenshot(page, 'stream');
    await context.close();
  });

  it('shows an archived stream read only: kept for its evidence, with nothing to start or stop', async () => {
    const stream = await stack.createStream('Archived gate');
    await stack.analyseAndFire(stream, personOnLawnResult(2));
    const archived = await stack.api.gql(
      'mutation ($id: ID!) { archiveStream(streamId: $id) { status } }',
      { id: stream },
      stack.tenant.sessions.ADMIN,
    );
    expect(archived.errors).toBeUndefined();
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('MODERATOR'),
      `/streams/${stream}`,
    );
    await page.getByRole('heading', { name: 'Archived gate' }).waitFor();
    await page.getByText(/Archived: kept for its incidents, decisions and analyses/).waitFor();
    expect(await page.getByRole('button', { name: /^(Start|Pause|Stop…)$/ }).count()).toBe(0);
    await context.close();
  });

  it("streams the model's reasoning into the stream page and the open item while the analysis runs", async () => {
    const stream = await stack.createStream('Live reasoning');
    // An item of that stream, open in a second tab: the stream's next analysis shows there too.
    await stack.analyseAndFire(stream, personOnLawnResult(2));
    const reviewItemId = await reviewItemOf(stream);
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('MODERATOR'),
      `/streams/${stream}`,
    );
    await page.getByRole('heading', { name: 'Live reasoning' }).waitFor();
    const itemPage = await context.newPage();
    await itemPage.goto(new URL(`/review/${reviewItemId}`, stack.api.url).toString());
    await itemPage.getByRole('heading', { name: 'Findings' }).waitFor();
    await stack.analysisQueueIdle();
    // A slow node that thinks at length: its reasoning arrives in steps over several seconds, as a
    // Thinking model's does (the page finds the running analysis by its 3-second poll).
    await stack.fake!.control.configure({ latencyMs: 12_000, thinkingTokens: 2_000 });
    try {
      await stack.fake!.control.queueResults(personOnLawnResult(frames.length));
      const windowId = await stack.queueWindow(stream, frames);
      const live = page.getByRole('region', { name: 'Analysing now' });
      await live.getByText(/streaming/).waitFor({ timeout: 15_000 });
      const text = live.locator('pre');
      await waitInPage(page, `(document.querySelector('pre.reasoning')?.textContent ?? '').length > 40`);
      const early = (await text.textContent()) ?? '';
      await waitInPage(
        page,
        `(document.querySelector('pre.reasoning')?.textContent ?? '').length > ${early.length + 40}`,
      );
      const later = (await text.textContent()) ?? '';
      expect(later.startsWith(early)).toBe(true);
      const onItem = itemPage.getByRole('region', { name: 'Analysing now' });
      await onItem.getByText(/streaming/).waitFor({ timeout: 10_000 });
      // Past the placeholder ("Waiting for the model…"): the text so far has been read.
      await waitInPage(
        itemPage,
        `[...document.querySelectorAll('section[aria-label="Analysing now"] pre')].some((pre) => (pre.textContent ?? '').length > 40)`,
      );
      const itemText = (await onItem.locator('pre').textContent()) ?? '';

      // The analysis ends: the panel goes away and the stored reasoning holds what was shown.
      await live.waitFor({ state: 'detached', timeout: 20_000 });
      const analysis = await tenantDb(stack.api.prisma, stack.tenant.tenantId).analysis.findFirstOrThrow({
        where: { windowId },
      });
      expect(analysis.status).toBe('DONE');
      // The page read the text so far when it found the analysis running, then continued it with
      // the deltas: what it showed is the beginning of the stored reasoning, without gaps.
      expect(analysis.reasoning.startsWith(later)).toBe(true);
      expect(itemText.length).toBeGreaterThan(0);
      expect(analysis.reasoning.startsWith(itemText)).toBe(true);
      await onItem.waitFor({ state: 'detached', timeout: 10_000 });
    } finally {
      await stack.fake!.control.configure({ latencyMs: 150, thinkingTokens: 120 });
      await context.close();
    }
  });

  it('lets only one of two moderators claim an item; the other is told it is taken', async () => {
    const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
    const admin = {
      kind: 'user' as const,
      id: stack.tenant.userIds.ADMIN,
      tenantId: stack.tenant.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const second = await stack.api.services.users.create(db, admin, {
      email: `second.moderator@${stack.tenant.slug}.test`,
      role: 'MODERATOR',
      password: PASSWORD,
    });
    const stream = await stack.createStream('Side entrance');
    await stack.analyseAndFire(stream, personOnLawnResult(2));
    const reviewItemId = await reviewItemOf(stream);

    const first = await signedInPage(
      browser,
      stack.api.url,
      stack.login('MODERATOR'),
      `/review/${reviewItemId}`,
    );
    const other = await signedInPage(
      browser,
      stack.api.url,
      {
        tenantSlug: stack.tenant.slug,
        email: `second.moderator@${stack.tenant.slug}.test`,
        password: PASSWORD,
      },
      `/review/${reviewItemId}`,
    );
    const claimButton = (page: Page) => page.getByRole('button', { name: /^Claim/ });
    await Promise.all([claimButton(first.page).waitFor(), claimButton(other.page).waitFor()]);

    await claimButton(first.page).click();
    await first.page.getByText('Claimed: the item is yours').waitFor();
    await claimButton(other.page).click();
    // What to do next (from the API's reason), then the API's own words.
    await other.page
      .getByText(/Another moderator holds this item.*claimed by another moderator.*CONFLICT/)
      .waitFor();

    const item = await db.reviewItem.findUniqueOrThrow({ where: { id: reviewItemId } });
    expect(item.status).toBe('CLAIMED');
    expect(item.assigneeId).toBe(stack.tenant.userIds.MODERATOR);
    expect(item.assigneeId).not.toBe(second.user.id);
    await Promise.all([first.context.close(), other.context.close()]);
  });
});

async function waitForAttribute(
  locator: ReturnType<Page['locator']>,
  name: string,
  value: string,
  timeoutMs = 5_000,
): Promise<void> {
  const began = Date.now();
  while ((await locator.getAttribute(name)) !== value) {
    if (Date.now() - began > timeoutMs) throw new Error(`${name} did not become ${value}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
