import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, signedInPage, waitInPage } from '../support/browser';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';
import { seedIncidentWithFrames } from '../support/incident-evidence';

/**
 * Incident evidence in a real browser: the incident report's player plays the clip (Chromium
 * fetches it by its signed URL with Range requests, plays and seeks), and the auditor downloads the
 * evidence package, whose manifest matches its files. Screenshots go to E2E_SHOTS_DIR
 * (default /tmp/shots-evidence) to be looked at.
 */
jest.setTimeout(90_000);

const SHOTS = process.env.E2E_SHOTS_DIR ?? '/tmp/shots-evidence';
const FRAMES = 24;

let stack: E2eStack;
let browser: Browser;
let incidentId: string;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack({ prefix: 'e2e-evidence' }), launchBrowser()]);
  const streamId = await stack.createStream('Evidence lawn');
  const seeded = await seedIncidentWithFrames({
    prisma: stack.api.prisma,
    store: stack.api.services.windows.store,
    tenantId: stack.tenant.tenantId,
    streamId,
    ruleId: stack.tenant.ids.ruleId,
    templateVersionId: stack.tenant.ids.versionId,
    frames: FRAMES,
    fps: 2,
    windowSize: 8,
  });
  incidentId = seeded.incidentId;
  await mkdir(SHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

describe('incident evidence in the console', () => {
  it('plays the incident’s clip in the report page’s player, and seeks in it', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('AUDITOR'),
      `/incidents/${incidentId}/report`,
    );
    const ranges: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/clip.mp4')) ranges.push(request.headers().range ?? '(none)');
    });
    await page.getByRole('heading', { name: 'Evidence clip' }).waitFor();
    const video = page.locator('video.incident-clip');
    await video.waitFor();
    // HAVE_CURRENT_DATA or better: Chromium decoded the H.264 it fetched.
    await waitInPage(page, `document.querySelector('video.incident-clip').readyState >= 2`, 20_000);
    expect(
      Number(await page.evaluate(`document.querySelector('video.incident-clip').duration`)),
    ).toBeGreaterThan(11);

    await page.evaluate(`document.querySelector('video.incident-clip').play()`);
    await waitInPage(page, `document.querySelector('video.incident-clip').currentTime > 1`, 15_000);
    await shot(page, 'report-clip-playing');

    // Seeking to a point not yet played: the browser asks for a byte range and shows that frame.
    await page.evaluate(
      `(() => { const v = document.querySelector('video.incident-clip'); v.pause(); v.currentTime = 9; })()`,
    );
    await waitInPage(
      page,
      `(() => { const v = document.querySelector('video.incident-clip'); return !v.seeking && v.readyState >= 2 && Math.abs(v.currentTime - 9) < 0.6; })()`,
      15_000,
    );
    expect(ranges.some((range) => range.startsWith('bytes='))).toBe(true);
    await page.getByText(`${FRAMES}`, { exact: true }).first().waitFor();
    await shot(page, 'report-clip-seeked');
    await context.close();
  });

  it('downloads the evidence package for an auditor, with a manifest that matches its files', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('AUDITOR'),
      `/incidents/${incidentId}/report`,
    );
    await page.getByRole('heading', { name: 'Evidence clip' }).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Evidence package' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`vigil-incident-${incidentId}-evidence.zip`);
    const files = unzipSync(new Uint8Array(await readFile(await download.path())));
    const manifest = JSON.parse(Buffer.from(files['manifest.json']!).toString('utf8')) as {
      files: { path: string; sha256: string }[];
    };
    expect(manifest.files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['clip.mp4', 'report.json', 'report.pdf', 'audit/events.json']),
    );
    for (const file of manifest.files)
      expect(createHash('sha256').update(files[file.path]!).digest('hex')).toBe(file.sha256);
    await page.getByText(/Evidence package downloaded/).waitFor();
    await shot(page, 'report-evidence-downloaded');
    await context.close();
  });
});
