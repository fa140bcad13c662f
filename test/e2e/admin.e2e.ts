import type { Browser } from 'playwright-core';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { launchBrowser, saveScreenshot, signedInPage } from '../support/browser';
import { personOnLawnResult, startE2eStack, type E2eStack } from '../support/e2e-stack';

/**
 * The tenant admin in a real browser: a new version of a prompt template, previewed and
 * activated; a new rule, shown its validation messages in place, saved and backtested against a
 * stream whose analyses are stored; the tenant's custom labels, and a rule on a zone event that
 * names one, its misspelling explained at its path.
 */
jest.setTimeout(60_000);

let stack: E2eStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([startE2eStack({ prefix: 'e2e-admin' }), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('admin', () => {
  it('adds a template version, previews it and activates it', async () => {
    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      '/admin/templates',
    );
    await page.getByRole('heading', { name: 'Prompt templates' }).waitFor();
    await page.getByRole('link', { name: 'Lawn watch' }).click();
    await page.getByRole('heading', { name: 'Template: Lawn watch' }).waitFor();

    const instruction = 'Stream {{streamName}}. Zone {{zone}}. Policy: {{policy}}. Answer in JSON.';
    await page.getByLabel('Instruction text').fill(instruction);
    await page.getByLabel('Temperature').fill('0.4');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await page.getByText('Version 2 saved; activate it to use it').waitFor();

    await page.getByRole('button', { name: 'Activate version 2' }).click();
    await page.getByText('Version 2 is now active').waitFor();
    await page.getByRole('button', { name: 'Activate version 1' }).waitFor();

    // The rendered prompt of the new version, with a sample variable.
    await page.getByLabel('Version to preview').selectOption({ label: 'v2' });
    await page.getByLabel('Variables (JSON)').fill('{"zone": "north lawn"}');
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const rendered = page.getByRole('region', { name: 'Rendered prompt' });
    await rendered.getByText('Zone north lawn.').waitFor();
    await page.getByRole('heading', { name: 'Preview' }).scrollIntoViewIfNeeded();
    await page.evaluate('window.scrollBy(0, 250)');
    await saveScreenshot(page, 'template-editor');

    const template = await tenantDb(stack.api.prisma, stack.tenant.tenantId).promptTemplate.findUniqueOrThrow(
      {
        where: { id: stack.tenant.ids.templateId },
        include: { activeVersion: true },
      },
    );
    expect(template.activeVersion).toMatchObject({
      version: 2,
      instructionText: instruction,
      temperature: 0.4,
    });
    await context.close();
  });

  it('creates a rule, with bad input explained in place, and backtests it on a stream', async () => {
    // A stream with stored results: three windows with people on the lawn, one without.
    const streamId = await stack.createStream('Backtest camera');
    for (let i = 0; i < 3; i++) await stack.storeAnalysis(streamId, personOnLawnResult(2));
    await stack.storeAnalysis(streamId, { ...personOnLawnResult(2), objects: [], anomalies: [] });

    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      '/admin/rules/new',
    );
    await page.getByRole('heading', { name: 'New rule' }).waitFor();
    await page.getByLabel('Rule name').fill('People on the lawn');
    // A confidence above 1: the API's message shows beside the condition.
    await page
      .getByLabel('Condition (JSON)')
      .fill(JSON.stringify({ object: { label: 'person', minConfidence: 1.5 } }, null, 2));
    await page
      .getByLabel('Action (JSON)')
      .fill(JSON.stringify({ type: 'review', queue: 'lawn', priority: 80 }, null, 2));
    await page.getByRole('button', { name: 'Create rule' }).click();
    const condition = page.getByLabel('Condition (JSON)');
    await waitForInvalid(condition);
    expect(await condition.getAttribute('aria-describedby')).toBeTruthy();

    await condition.fill(JSON.stringify({ object: { label: 'person', minConfidence: 0.6 } }, null, 2));
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByText('Rule “People on the lawn” created').waitFor();
    await page.getByRole('heading', { name: 'Rule: People on the lawn' }).waitFor();

    // The saved rule over the stream's stored results.
    await page.getByLabel('Stream').selectOption({ label: 'Backtest camera (stopped)' });
    await page.getByRole('button', { name: 'Run backtest' }).click();
    const result = page.getByRole('region', { name: 'Backtest result' });
    await result.getByRole('table').waitFor();
    // Three firings (the empty window does not fire), of four results evaluated.
    expect(await result.getByRole('table').getByRole('row').count()).toBe(1 + 3);
    expect(await result.getByTestId('backtest-evaluated').textContent()).toBe('4');
    await result.scrollIntoViewIfNeeded();
    await saveScreenshot(page, 'rule-editor');

    const rule = await tenantDb(stack.api.prisma, stack.tenant.tenantId).rule.findFirstOrThrow({
      where: { name: 'People on the lawn' },
    });
    expect(rule.condition).toEqual({ object: { label: 'person', minConfidence: 0.6 } });
    await context.close();
  });
});

describe('labels and event rules', () => {
  it('keeps custom labels, explains a misspelt label at its path and backtests an event rule', async () => {
    const streamId = await stack.createStream('Dock camera');
    const at = new Date().toISOString();
    const forkliftEnters = {
      id: `enter:dock:3:${Date.now()}`,
      type: 'enter',
      label: 'forklift',
      trackIds: [3],
      zone: 'Dock',
      start: at,
      end: at,
      severity: 'medium',
      evidence: [at],
    };
    await stack.storeAnalysis(streamId, { ...personOnLawnResult(2), events: [forkliftEnters] });
    await stack.storeAnalysis(streamId, personOnLawnResult(2));

    const { context, page } = await signedInPage(
      browser,
      stack.api.url,
      stack.login('ADMIN'),
      '/admin/rules',
    );
    await page.getByRole('heading', { name: 'Custom labels' }).waitFor();
    const labels = page.getByLabel('Custom labels, one per line');
    // A COCO label is refused, named by its position and text.
    await labels.fill('Forklift\nperson');
    await page.getByRole('button', { name: 'Save custom labels' }).click();
    await page.getByText('label 2 (“person”): "person" is a COCO label already').waitFor();
    await waitForInvalid(labels);
    await labels.fill('Forklift\nHard hat');
    await page.getByRole('button', { name: 'Save custom labels' }).click();
    await page.getByText('Custom labels saved (2)').waitFor();
    const tenant = await stack.api.prisma.tenant.findUniqueOrThrow({ where: { id: stack.tenant.tenantId } });
    expect(tenant.customLabels).toEqual(['forklift', 'hard hat']);

    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { name: 'New rule' }).waitFor();
    await page.getByLabel('Rule name').fill('Forklift at the dock');
    const condition = page.getByLabel('Condition (JSON)');
    const misspelt = { all: [{ event: { type: 'enter', zone: 'Dock', label: 'forklfit' } }] };
    await condition.fill(JSON.stringify(misspelt, null, 2));
    await page.getByRole('button', { name: 'Create rule' }).click();
    await waitForInvalid(condition);
    const problem = page.getByRole('alert').filter({ hasText: 'condition.all.0.event.label' });
    await problem.waitFor();
    expect(await problem.textContent()).toContain('did you mean "forklift"');

    await condition.fill(
      JSON.stringify({ all: [{ event: { type: 'enter', zone: 'dock', label: 'forklift' } }] }, null, 2),
    );
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('heading', { name: 'Rule: Forklift at the dock' }).waitFor();

    // The language help lists the tenant's own labels.
    await page.getByText('Rule language and known labels').click();
    expect(await page.getByTestId('custom-label-list').textContent()).toBe('forklift, hard hat');

    // The event fires once, in the window that observed it.
    await page.getByLabel('Stream').selectOption({ label: 'Dock camera (stopped)' });
    await page.getByRole('button', { name: 'Run backtest' }).click();
    const result = page.getByRole('region', { name: 'Backtest result' });
    await result.getByRole('table').waitFor();
    expect(await result.getByTestId('backtest-evaluated').textContent()).toBe('2');
    const rows = result.getByRole('table').getByRole('row');
    expect(await rows.count()).toBe(1 + 1);
    expect(await rows.nth(1).textContent()).toContain('condition.all.0.event');
    await context.close();
  });
});

async function waitForInvalid(locator: ReturnType<import('playwright-core').Page['locator']>): Promise<void> {
  const began = Date.now();
  while ((await locator.getAttribute('aria-invalid')) !== 'true') {
    if (Date.now() - began > 10_000) throw new Error('the field was not marked invalid');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
