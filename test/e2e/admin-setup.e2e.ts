import type { Browser } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { launchBrowser, shotForReview, signedInPage } from '../support/browser';
import { startE2eStack, type E2eStack } from '../support/e2e-stack';

/**
 * A tenant admin setting Vigil up in a real browser: an API key for a partner's review tool, a
 * stream that gets the default template and starts at once, a rule whose failure is shown until it
 * is fixed, a template preview with Vigil's own variables filled, and a GPU node given by its /v1 URL.
 */
jest.setTimeout(60_000);

let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack({ prefix: 'e2e-setup' }), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('admin setup', () => {
  it('creates an API key that may claim and decide review items, and lists its scope', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      '/admin/api-keys',
    );
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Key name').fill('Partner review tool');
    await page.getByLabel('Role').selectOption('MODERATOR');
    await page.getByLabel(/May claim and decide review items/).check();
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByText('Secret of the API key “Partner review tool”').waitFor();
    const row = page.getByRole('row', { name: /Partner review tool/ });
    await row.getByText('claims and decides review items').waitFor();
    // An auditor key cannot be given the scope.
    await page.getByLabel('Role').selectOption('AUDITOR');
    expect(await page.getByLabel(/May claim and decide review items/).isDisabled()).toBe(true);
    await shotForReview(page, 'api-keys');
    const key = await tenantDb(stack.api.prisma, stack.tenant.tenantId).apiKey.findFirstOrThrow({
      where: { name: 'Partner review tool' },
    });
    expect(key.scopes).toEqual(['review']);
    await context.close();
  });

  it('adds a stream with the default template, started at once', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      '/admin/streams/new',
    );
    await page.goto(`${stack.api.url}/admin/templates`);
    // The only template is the default one (the oldest, none being chosen).
    await page
      .getByRole('row', { name: /Lawn watch/ })
      .getByText('default', { exact: true })
      .waitFor();
    await shotForReview(page, 'templates');
    await page.goto(`${stack.api.url}/admin/streams/new`);
    await page.getByRole('heading', { name: 'Add a stream' }).waitFor();
    const template = page.getByLabel('Prompt template');
    await page.getByRole('option', { name: 'Lawn watch (default)' }).waitFor({ state: 'attached' });
    expect(await template.inputValue()).toBe(stack.tenant.ids.templateId);
    expect(await page.getByLabel(/Start now/).isChecked()).toBe(true);
    await page.getByLabel('Name', { exact: true }).fill('Gate camera');
    await page.getByLabel('Source URL').fill('rtsp://camera.example.net/gate');
    await shotForReview(page, 'stream-new');
    await page.getByRole('button', { name: 'Create stream' }).click();
    await page.getByText('Stream “Gate camera” created and started').waitFor();
    const stream = await tenantDb(stack.api.prisma, stack.tenant.tenantId).stream.findFirstOrThrow({
      where: { name: 'Gate camera' },
    });
    expect(stream).toMatchObject({ templateId: stack.tenant.ids.templateId });
    expect(['ACTIVE', 'ERROR']).toContain(stream.status);
    await context.close();
  });

  it('shows a rule’s last error until a corrected condition is saved', async () => {
    const db = tenantDb(stack.api.prisma, stack.tenant.tenantId);
    await db.rule.update({
      where: { id: stack.tenant.ids.ruleId },
      data: { lastError: 'condition: unknown condition sparkle', lastErrorAt: new Date() },
    });
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      `/admin/rules/${stack.tenant.ids.ruleId}`,
    );
    const alert = page.getByText(/This rule failed when it last ran/);
    await alert.waitFor();
    await shotForReview(page, 'rule-error');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await alert.waitFor({ state: 'detached' });
    expect(
      (await db.rule.findUniqueOrThrow({ where: { id: stack.tenant.ids.ruleId } })).lastError,
    ).toBeNull();
    await context.close();
  });

  it('previews a template with the stream name and the tenant’s policy filled by Vigil', async () => {
    await stack.api.services.tenants.updateSettings(
      { tenantId: stack.tenant.tenantId, kind: 'user', id: stack.tenant.userIds.ADMIN },
      { policyText: 'No one on the lawn after dark' },
    );
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      `/admin/templates/${stack.tenant.ids.templateId}`,
    );
    await page.getByRole('heading', { name: 'Template: Lawn watch' }).waitFor();
    await page.getByRole('option', { name: 'Front lawn' }).waitFor({ state: 'attached' });
    await page.getByLabel(/Stream \(for/).selectOption({ label: 'Front lawn' });
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const rendered = page.getByRole('region', { name: 'Rendered prompt' });
    await rendered
      .getByText('Stream Front lawn. Policy: No one on the lawn after dark. Answer in JSON.')
      .waitFor();
    await page.getByRole('heading', { name: 'Preview' }).scrollIntoViewIfNeeded();
    await shotForReview(page, 'template-preview');
    await context.close();
  });

  it('registers a GPU node given by its /v1 URL and shows it without /v1', async () => {
    await stack.api.prisma.user.update({
      where: { id: stack.tenant.userIds.ADMIN },
      data: { isPlatformAdmin: true },
    });
    const name = `gpu-e2e-${Date.now().toString(36)}`;
    try {
      const { context, page } = await signedInPage(
        browser,
        stack.api.url,
        stack.login('ADMIN'),
        '/admin/nodes',
      );
      await page.getByRole('heading', { name: 'GPU nodes' }).waitFor();
      expect(await page.getByLabel('Base URL').getAttribute('placeholder')).toBe('http://gpu-1:8000');
      await page.getByLabel('Node name').fill(name);
      await page.getByLabel('Base URL').fill('http://10.20.0.31:8000/v1');
      await page.getByLabel('Served model name').fill('qwen3-vl-8b-thinking');
      await page.getByRole('button', { name: 'Register node' }).click();
      await page.getByText('http://10.20.0.31:8000', { exact: true }).waitFor();
      await shotForReview(page, 'gpu-nodes');
      await context.close();
    } finally {
      await stack.api.prisma.inferenceNode.deleteMany({ where: { name } });
      await stack.api.prisma.user.update({
        where: { id: stack.tenant.userIds.ADMIN },
        data: { isPlatformAdmin: false },
      });
    }
  });
});
