import type { Browser } from 'playwright-core';
import { errorCodes } from '../support/api-harness';
import { launchBrowser, shotForReview, signedInPage } from '../support/browser';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';
import { PASSWORD } from '../support/tenant-fixture';

/**
 * Passwords in the console: an admin resets a moderator's password after a confirmation and reads
 * the temporary one once; the moderator signing in with it can only choose a new one, then works
 * as usual; a person changes their own password from the top bar, which signs out their other
 * sessions.
 */
jest.setTimeout(60_000);

let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack({ prefix: 'e2e-passwords' }), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const ME = '{ me { id } }';

it('resets a password after a confirmation; the temporary one only lets the person choose a new one', async () => {
  const moderator = stack.login('MODERATOR');
  const admin = await signedInPage(browser, stack.api.url, stack.login('ADMIN'), '/admin/users');
  const { page } = admin;
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  await page.getByRole('button', { name: `Reset password of ${moderator.email}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Reset this password?' });
  await dialog.getByText(moderator.email).waitFor();
  await shotForReview(page, 'users-reset-confirm');
  // Cancelling changes nothing.
  await dialog.getByRole('button', { name: /Cancel/ }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect(errorCodes(await stack.api.gql(ME, {}, stack.tenant.sessions.MODERATOR))).toEqual([]);

  await page.getByRole('button', { name: `Reset password of ${moderator.email}` }).click();
  await dialog.getByRole('button', { name: /Reset password/ }).click();
  const secret = page.getByRole('textbox', { name: `Temporary password for ${moderator.email}` });
  await secret.waitFor();
  const temporary = await secret.inputValue();
  expect(temporary.length).toBeGreaterThanOrEqual(12);
  await page
    .getByRole('row', { name: new RegExp(moderator.email) })
    .getByText('must change password')
    .waitFor();
  await shotForReview(page, 'users-reset-secret');
  // The moderator's session ended with the reset.
  expect(errorCodes(await stack.api.gql(ME, {}, stack.tenant.sessions.MODERATOR))).toEqual([
    'UNAUTHENTICATED',
  ]);

  const { context, page: own } = await signedInPage(browser, stack.api.url, {
    ...moderator,
    password: temporary,
  });
  await own.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  expect(await own.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
  await own.getByLabel('Temporary password').fill(temporary);
  await own.getByLabel('New password', { exact: true }).fill('the moderator’s own password');
  await own.getByLabel('New password again').fill('the moderator’s own passwort');
  await own.getByRole('button', { name: 'Change password' }).click();
  await own.getByText('is not the same as the new password').waitFor();
  await own.getByLabel('New password again').fill('the moderator’s own password');
  await shotForReview(own, 'password-required');
  await own.getByRole('button', { name: 'Change password' }).click();
  // A full session now: the shell with the moderator's queue.
  await own.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Review queue' }).waitFor();
  const stored = JSON.parse((await own.evaluate(`localStorage.getItem('vigil.session')`)) as string) as {
    token: string;
    passwordChangeRequired: boolean;
  };
  expect(stored.passwordChangeRequired).toBe(false);
  expect(errorCodes(await stack.api.gql('{ myTenant { id } }', {}, stored.token))).toEqual([]);
  await context.close();
  await admin.context.close();
});

it('changes one’s own password from the top bar and signs out one’s other sessions', async () => {
  const auditor = stack.login('AUDITOR');
  const elsewhere = await signedInPage(browser, stack.api.url, auditor, '/incidents');
  const { context, page } = await signedInPage(browser, stack.api.url, auditor, '/incidents');
  await page.getByRole('link', { name: 'Change password' }).click();
  await page.getByRole('heading', { name: 'Your password' }).waitFor();
  await page.getByLabel('Current password').fill('not my password at all');
  await page.getByLabel('New password', { exact: true }).fill('an auditor’s new password');
  await page.getByLabel('New password again').fill('an auditor’s new password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('is not your current password', { exact: true }).waitFor();
  await shotForReview(page, 'password-change-wrong');

  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('Password changed; your other sessions are signed out').waitFor();
  // This page goes on with the new session; the other one is signed out at its next request.
  await page.getByRole('link', { name: 'Incidents' }).click();
  await page.getByRole('heading', { name: 'Incidents' }).waitFor();
  await elsewhere.page.getByRole('link', { name: 'Audit log' }).click();
  await elsewhere.page.getByRole('button', { name: 'Sign in' }).waitFor();
  await shotForReview(elsewhere.page, 'password-changed-elsewhere');
  await context.close();
  await elsewhere.context.close();
});
