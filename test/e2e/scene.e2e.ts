import type { Browser, Page } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { loadScene } from '../../src/streams/stream-scene';
import type { Tripwire, Zone } from '../../src/scene/scene-region';
import { launchBrowser, saveScreenshot, signedInPage, waitInPage } from '../support/browser';
import { personOnLawnResult, sampleFrames, startE2eStack, type E2eStack } from '../support/e2e-stack';

/**
 * Zones and lines in a real browser: an admin draws a zone and a line on the stream's newest
 * frame with clicks, names them, saves, reloads and finds them; drags a point and saves again; a
 * save that lost to another one is explained and the newer version loaded. A moderator sees the
 * regions read only, and over the keyframes of a review item as the analysis recorded them.
 */
jest.setTimeout(90_000);

let stack: E2eStack;
let browser: Browser;
let frames: Buffer[];
let streamId: string;

beforeAll(async () => {
  [stack, browser, frames] = await Promise.all([
    startE2eStack({ prefix: 'e2e-scene' }),
    launchBrowser(),
    sampleFrames(4),
  ]);
  streamId = await stack.createStream('Walkway camera');
  // A stored window gives the stream frames, the newest of which is the picture to draw on.
  await stack.storeAnalysis(streamId, personOnLawnResult(frames.length), frames);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const db = () => tenantDb(stack.api.prisma, stack.tenant.tenantId);

/** The scene's picture, scrolled into the middle of the window: where it is on screen. */
async function canvasBox(page: Page): Promise<{ x: number; y: number; width: number; height: number }> {
  await page.evaluate(
    "document.querySelector('[data-testid=scene-canvas]').scrollIntoView({ block: 'center' })",
  );
  return (await page.getByTestId('scene-canvas').boundingBox())!;
}

/** Clicks the scene's picture at a point given in fractions of the frame. */
async function clickAt(page: Page, x: number, y: number): Promise<void> {
  const box = await canvasBox(page);
  await page.mouse.click(box.x + x * box.width, box.y + y * box.height);
}

async function pictureLoaded(page: Page): Promise<void> {
  await waitInPage(
    page,
    "(() => { const img = document.querySelector('.scene-canvas img'); return img && img.complete && img.naturalWidth > 0; })()",
  );
}

/** Scrolls the "Zones and lines" section to the top of the window, for its screenshot. */
async function showSection(page: Page): Promise<void> {
  await page.evaluate(
    "document.querySelector('.scene-layout').closest('section').scrollIntoView({ block: 'start' })",
  );
}

const close = (a: number, b: number) => Math.abs(a - b) < 0.01;

describe('zones and lines', () => {
  it('lets an admin draw a zone and a line with clicks, name and save them, and find them after a reload', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      `/streams/${streamId}`,
    );
    const section = page.getByRole('region', { name: 'Zones and lines' });
    await section.getByText('Nothing saved yet').waitFor();
    await pictureLoaded(page);

    // A zone: four clicks, then a click on its first point closes it.
    await section.getByRole('button', { name: 'Add zone' }).click();
    const corners = [
      [0.08, 0.62],
      [0.45, 0.55],
      [0.5, 0.95],
      [0.05, 0.95],
    ] as const;
    for (const [x, y] of corners) await clickAt(page, x, y);
    await section.getByText('4 so far').waitFor();
    await page.getByTestId('close-zone').click();
    await section.getByRole('heading', { name: 'Zone: Zone 1' }).waitFor();
    await section.getByLabel('Name', { exact: true }).fill('Lawn');
    await section.getByLabel('Objects', { exact: true }).fill('person, dog');
    await section.getByLabel('Crowd at (objects at once)').fill('3');
    await section.getByLabel('Loitering after (seconds)').fill('20');
    await section.getByLabel('Severity').selectOption('high');

    // A line: two clicks, then its allowed direction, which an arrow shows.
    await section.getByRole('button', { name: 'Add line' }).click();
    await clickAt(page, 0.55, 0.35);
    await clickAt(page, 0.95, 0.45);
    await section.getByRole('heading', { name: 'Line: Line 1' }).waitFor();
    await section.getByLabel('Name', { exact: true }).fill('Walkway gate');
    await section.getByLabel('Allowed direction').selectOption('to-left');
    await page.locator('[data-region="Walkway gate"] .direction-arrow').waitFor();
    await section.getByRole('status').getByText('Unsaved changes').waitFor();
    await showSection(page);
    await saveScreenshot(page, 'scene-editor');

    await section.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Zones and lines saved as version 1').waitFor();
    await section.getByText(/^Version 1, saved .* by admin@/).waitFor();

    const saved = await loadScene(db(), streamId);
    expect(saved.version).toBe(1);
    const zone = saved.regions.find((region): region is Zone => region.kind === 'zone')!;
    const line = saved.regions.find((region): region is Tripwire => region.kind === 'line')!;
    expect(zone).toMatchObject({
      name: 'Lawn',
      labels: ['person', 'dog'],
      crowdAt: 3,
      dwellSeconds: 20,
      severity: 'high',
    });
    expect(zone.polygon).toHaveLength(4);
    zone.polygon.forEach((point, i) => {
      expect({ i, near: close(point.x, corners[i]![0]) && close(point.y, corners[i]![1]) }).toEqual({
        i,
        near: true,
      });
    });
    expect(line).toMatchObject({ name: 'Walkway gate', allowedDirection: 'to-left', labels: [] });
    expect(close(line.from.x, 0.55) && close(line.to.y, 0.45)).toBe(true);

    // After a reload the regions are there, drawn and listed, with their settings.
    await page.reload();
    await section.getByText(/^Version 1, saved/).waitFor();
    await page.locator('[data-region="Lawn"]').waitFor();
    await page.locator('[data-region="Walkway gate"] .direction-arrow').waitFor();
    await section.getByRole('button', { name: /^Lawn/ }).click();
    expect(await section.getByLabel('Crowd at (objects at once)').inputValue()).toBe('3');

    // Drag the zone's first point, then save version 2: the zone keeps its id.
    const canvas = await canvasBox(page);
    const handle = (await page.locator('.scene-handle[data-handle="0"]').boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(canvas.x + 0.2 * canvas.width, canvas.y + 0.5 * canvas.height, { steps: 8 });
    await page.mouse.up();
    await section.getByRole('status').getByText('Unsaved changes').waitFor();
    await section.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Zones and lines saved as version 2').waitFor();
    const moved = (await loadScene(db(), streamId)).regions.find((region) => region.id === zone.id) as Zone;
    expect(close(moved.polygon[0]!.x, 0.2) && close(moved.polygon[0]!.y, 0.5)).toBe(true);
    expect(moved.polygon.slice(1)).toEqual(zone.polygon.slice(1));
    await context.close();
  });

  it('closes a zone with Enter, cancels one with Escape, and discards unsaved changes', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      `/streams/${streamId}`,
    );
    const section = page.getByRole('region', { name: 'Zones and lines' });
    await section.getByText(/^Version \d+, saved/).waitFor();
    await pictureLoaded(page);
    const listed = () => section.getByRole('list', { name: 'Zones and lines' }).getByRole('listitem').count();
    const before = await listed();

    await section.getByRole('button', { name: 'Add zone' }).click();
    await clickAt(page, 0.6, 0.6);
    await clickAt(page, 0.7, 0.6);
    await page.keyboard.press('Escape');
    await section.getByRole('button', { name: 'Add zone' }).waitFor({ state: 'visible' });
    expect(await section.getByRole('button', { name: 'Add zone' }).isEnabled()).toBe(true);
    expect(await listed()).toBe(before);

    await section.getByRole('button', { name: 'Add zone' }).click();
    for (const [x, y] of [
      [0.6, 0.1],
      [0.8, 0.1],
      [0.7, 0.3],
    ] as const)
      await clickAt(page, x, y);
    await page.keyboard.press('Enter');
    await section.getByRole('heading', { name: /^Zone: Zone / }).waitFor();
    expect(await listed()).toBe(before + 1);

    // The API's problem shows at its field, and the list marks the region.
    await section.getByLabel('Objects', { exact: true }).fill('people');
    await section.getByRole('button', { name: 'Save' }).click();
    await section
      .getByRole('alert')
      .getByText(/"people" is not a label .*for example: person/)
      .waitFor();
    expect(await section.getByLabel('Objects', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await section.getByRole('button', { name: /has problems/ }).waitFor();

    page.once('dialog', (dialog) => void dialog.accept());
    await section.getByRole('button', { name: 'Discard changes' }).click();
    await section.getByText(/^Version \d+, saved/).waitFor();
    expect(await listed()).toBe(before);
    await context.close();
  });

  it('explains a save that another save beat, and loads the newer version', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      `/streams/${streamId}`,
    );
    const section = page.getByRole('region', { name: 'Zones and lines' });
    await section.getByText(/^Version \d+, saved/).waitFor();
    const current = await loadScene(db(), streamId);

    // Someone else saves while this page is open.
    await stack.api.services.streams.saveScene(
      db(),
      {
        kind: 'user',
        id: stack.tenant.userIds.ADMIN,
        tenantId: stack.tenant.tenantId,
        role: 'ADMIN',
        isPlatformAdmin: false,
      },
      {
        streamId,
        expectedVersion: current.version,
        zones: [],
        lines: [{ name: 'Someone else’s line', from: { x: 0.1, y: 0.1 }, to: { x: 0.9, y: 0.1 } }],
      },
    );

    await section.getByRole('button', { name: /^Lawn/ }).click();
    await section.getByLabel('Name', { exact: true }).fill('Front lawn');
    await section.getByRole('button', { name: 'Save' }).click();
    await section
      .getByRole('alert')
      .getByText(/^Not saved: .*saved by someone else/)
      .waitFor();
    await section.getByText(`Version ${current.version + 1}, saved`, { exact: false }).waitFor();
    await section.getByRole('button', { name: /^Someone else’s line/ }).waitFor();
    expect(await section.getByRole('button', { name: /^Lawn/ }).count()).toBe(0);
    expect((await loadScene(db(), streamId)).version).toBe(current.version + 1);
    await context.close();
  });

  it('shows a moderator the regions read only, and over a review item’s keyframes as analysed', async () => {
    // Put the admin's zone and line back, then fire a review item whose analysis recorded that version.
    const admin = {
      kind: 'user' as const,
      id: stack.tenant.userIds.ADMIN,
      tenantId: stack.tenant.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const current = await loadScene(db(), streamId);
    const drawn = await stack.api.services.streams.saveScene(db(), admin, {
      streamId,
      expectedVersion: current.version,
      zones: [
        {
          name: 'Lawn',
          polygon: [
            { x: 0.08, y: 0.62 },
            { x: 0.45, y: 0.55 },
            { x: 0.5, y: 0.95 },
            { x: 0.05, y: 0.95 },
          ],
          labels: ['person'],
          crowdAt: 3,
          severity: 'high',
        },
      ],
      lines: [
        {
          name: 'Walkway gate',
          from: { x: 0.55, y: 0.35 },
          to: { x: 0.95, y: 0.45 },
          allowedDirection: 'to-left',
        },
      ],
    });
    const fired = await stack.analyseAndFire(
      streamId,
      { ...personOnLawnResult(frames.length), sceneVersion: drawn.version },
      frames,
    );
    const item = await db().reviewItem.findFirstOrThrow({
      where: { incidentId: fired.report.fired[0]!.incidentId },
    });
    // A later version must not change what the review item shows.
    await stack.api.services.streams.saveScene(db(), admin, {
      streamId,
      expectedVersion: drawn.version,
      zones: [],
      lines: [],
    });

    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('MODERATOR'),
      `/review/${item.id}`,
    );
    await page.getByRole('heading', { name: 'Findings' }).waitFor();
    await page.getByTestId('scene-caption').getByText(`as analysed (version ${drawn.version})`).waitFor();
    await page.locator('.frame-view [data-region="Lawn"]').waitFor();
    await page.locator('.frame-view [data-region="Walkway gate"] .direction-arrow').waitFor();
    await waitInPage(
      page,
      'document.images.length > 0 && Array.from(document.images).every((img) => img.complete && img.naturalWidth > 0)',
    );

    // The stream page: its current (empty) scene, then the drawn version once saved again.
    await stack.api.services.streams.saveScene(db(), admin, {
      streamId,
      expectedVersion: drawn.version + 1,
      zones: drawn.zones.map(({ id, name, polygon, labels, crowdAt, severity }) => ({
        id,
        name,
        polygon,
        labels,
        crowdAt,
        severity,
      })),
      lines: drawn.lines,
    });
    await page.goto(new URL(`/streams/${streamId}`, stack.api.url).toString());
    const section = page.getByRole('region', { name: 'Zones and lines' });
    await section.getByText(/Only admins change them/).waitFor();
    await pictureLoaded(page);
    await section.getByRole('row', { name: /Lawn/ }).getByText('crowd at 3', { exact: false }).waitFor();
    await section.getByRole('row', { name: /Walkway gate/ }).waitFor();
    await page.locator('.scene-canvas [data-region="Lawn"]').waitFor();
    expect(await section.getByRole('button', { name: /Add zone|Add line|Save/ }).count()).toBe(0);
    // Read only: a click on the picture selects nothing and offers no points to drag.
    await clickAt(page, 0.3, 0.8);
    expect(await page.locator('.scene-handle').count()).toBe(0);
    await showSection(page);
    await saveScreenshot(page, 'scene-read-only');
    await context.close();
  });
});
