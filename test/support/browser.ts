import { mkdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (which never downloads a browser of its own): one
 * browser per test file, a new context (its own cookies and localStorage) per signed-in user.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const VIEWPORT = { width: 1280, height: 800 };

/** docs/screenshots of the repository (found from this file, which also runs compiled from dist/). */
export const SCREENSHOT_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  ...(isCompiled() ? ['..'] : []),
  'docs',
  'screenshots',
);

function isCompiled(): boolean {
  return path.extname(__filename) === '.js';
}

/** A fresh headless Chromium; playwright gives it a new temporary user data dir. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A new, isolated browser context at 1280x800 whose downloads are kept for the test to read. */
export function newUserContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: VIEWPORT, acceptDownloads: true, reducedMotion: 'reduce' });
}

export interface Login {
  tenantSlug: string;
  email: string;
  password: string;
}

/** Opens the console and signs in through its login form, found by its labels; resolves once the shell shows. */
export async function signIn(page: Page, baseUrl: string, login: Login, startPath = '/'): Promise<void> {
  await page.goto(new URL(startPath, baseUrl).toString());
  await page.getByLabel('Tenant').fill(login.tenantSlug);
  await page.getByLabel('E-mail').fill(login.email);
  await page.getByLabel('Password').fill(login.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The shell (with its sign-out button) shows once the session is stored; the sign-in button alone
  // is renamed "Signing in…" while the request runs, so its absence proves nothing.
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** A new context and page signed in as `login`. */
export async function signedInPage(
  browser: Browser,
  baseUrl: string,
  login: Login,
  startPath = '/',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await newUserContext(browser);
  const page = await context.newPage();
  await signIn(page, baseUrl, login, startPath);
  return { context, page };
}

/** Closes the toasts on screen (sonner's close buttons), so that they do not cover a screenshot. */
export async function dismissToasts(page: Page): Promise<void> {
  const close = page.getByRole('button', { name: 'Close toast' });
  for (const button of await close.all()) await button.click({ timeout: 2_000 }).catch(() => undefined);
  // Sonner animates a closed toast out before removing it.
  const began = Date.now();
  while ((await close.count()) > 0 && Date.now() - began < 3_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const MAX_PNG_BYTES = 200 * 1024;

/**
 * Saves the viewport as docs/screenshots/<name>.png, or as <name>.jpg (quality 80) when the PNG
 * would be over ~200 KB; returns the file written. Only with E2E_SCREENSHOTS=1 (the README's
 * pictures are refreshed on purpose, not rewritten by every test run).
 */
export async function saveScreenshot(page: Page, name: string): Promise<string | null> {
  if (process.env.E2E_SCREENSHOTS !== '1') return null;
  await dismissToasts(page);
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const png = path.join(SCREENSHOT_DIR, `${name}.png`);
  const jpg = path.join(SCREENSHOT_DIR, `${name}.jpg`);
  await page.screenshot({ path: png, animations: 'disabled', caret: 'hide' });
  if ((await stat(png)).size <= MAX_PNG_BYTES) {
    await unlink(jpg).catch(() => undefined);
    return png;
  }
  await page.screenshot({ path: jpg, type: 'jpeg', quality: 80, animations: 'disabled', caret: 'hide' });
  await unlink(png);
  return jpg;
}

/**
 * Saves the whole page as <name>.png in the folder SHOTS_DIR names, for a person to look at while
 * checking a screen; nothing without SHOTS_DIR.
 */
export async function shotForReview(page: Page, name: string): Promise<void> {
  const dir = process.env.SHOTS_DIR;
  if (!dir) return;
  await dismissToasts(page);
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/**
 * Waits until a JavaScript expression is truthy in the page. Expressions are strings because this
 * project's TypeScript has no DOM types outside console/; page.evaluate runs them through the
 * DevTools protocol, which the console's CSP (no 'unsafe-eval') does not block, unlike
 * page.waitForFunction with a string.
 */
export async function waitInPage(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const began = Date.now();
  while (!(await page.evaluate(expression))) {
    if (Date.now() - began > timeoutMs) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
