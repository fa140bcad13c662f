import pino from 'pino';
import { tenantDb, type TenantDb } from '../src/db/tenant-scoped-db';
import { RulesRunner } from '../src/rules/rules-runner';
import { webhookEventSink } from '../src/webhooks/webhook-events';
import { evaluateRulesHandler } from '../src/workers/evaluate-rules.processor';
import type { JobRun } from '../src/jobs/job-queue';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * A rule's latest failure is shown on the rule (Rule.lastError) until it no longer describes it: a
 * saved change to the condition or action clears it, and so does the next run that succeeds.
 */
const logger = pino({ level: 'silent' });
const RULE = `query ($id: ID!) { rule(ruleId: $id) { lastError lastErrorAt } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateRuleInput!) { updateRule(ruleId: $id, input: $input) { lastError lastErrorAt } }`;

let api: TestApi;
let f: TenantFixture;
let db: TenantDb;
let evaluate: ReturnType<typeof evaluateRulesHandler>;

/** Runs the tenant's rules on the fixture's analysis as the worker's rules job does. */
async function runRules(): Promise<void> {
  await db.analysis.update({ where: { id: f.ids.analysisId }, data: { rulesEvaluatedAt: null } });
  await evaluate.run({ tenantId: f.tenantId, analysisId: f.ids.analysisId }, {} as JobRun);
}

/** A rule whose stored condition the evaluator cannot compile (the API would refuse it). */
async function brokenRule(name: string): Promise<string> {
  const rule = await db.rule.create({
    data: {
      tenantId: f.tenantId,
      name,
      condition: { sparkle: true },
      action: { type: 'alert', severity: 'low' },
    },
  });
  return rule.id;
}

const lastErrorOf = async (ruleId: string) =>
  (
    await api.gql<{ rule: { lastError: string | null; lastErrorAt: string | null } }>(
      RULE,
      { id: ruleId },
      f.sessions.ADMIN,
    )
  ).data!.rule;

beforeAll(async () => {
  api = await startTestApi();
  f = await createTenantFixture(api, 'rule-errors');
  db = tenantDb(api.prisma, f.tenantId);
  const runner = new RulesRunner({
    prisma: api.prisma,
    redis: api.redis,
    logger,
    webhooks: webhookEventSink(api.prisma, api.jobs),
  });
  evaluate = evaluateRulesHandler(runner, api.prisma, logger);
});

afterAll(async () => {
  await api?.stop();
});

describe('rule errors', () => {
  it('shows a failing rule’s error, and clears it when a change that compiles is saved', async () => {
    const ruleId = await brokenRule('Sparkles');
    await runRules();
    const failing = await lastErrorOf(ruleId);
    expect(failing.lastError).toMatch(/unknown condition/);
    expect(failing.lastErrorAt).not.toBeNull();

    // A change that does not compile is refused and leaves the error as it was.
    const refused = await api.gql(
      UPDATE,
      { id: ruleId, input: { condition: { sparkle: 1 } } },
      f.sessions.ADMIN,
    );
    expect(refused.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect((await lastErrorOf(ruleId)).lastError).toMatch(/unknown condition/);
    // A rename alone does not touch what failed.
    await api.gql(UPDATE, { id: ruleId, input: { name: 'Sparkles (renamed)' } }, f.sessions.ADMIN);
    expect((await lastErrorOf(ruleId)).lastError).toMatch(/unknown condition/);

    const fixed = await api.gql<{ updateRule: { lastError: string | null; lastErrorAt: string | null } }>(
      UPDATE,
      { id: ruleId, input: { condition: { object: { label: 'person' } } } },
      f.sessions.ADMIN,
    );
    expect(fixed.errors).toBeUndefined();
    expect(fixed.data!.updateRule).toEqual({ lastError: null, lastErrorAt: null });
    await runRules();
    expect(await lastErrorOf(ruleId)).toEqual({ lastError: null, lastErrorAt: null });
  });

  it('clears the error on the next evaluation that succeeds, and keeps the others’', async () => {
    const healed = await brokenRule('Heals itself');
    const still = await brokenRule('Still broken');
    await runRules();
    expect((await lastErrorOf(healed)).lastError).toMatch(/unknown condition/);
    // Fixed without the API (as a transient fault would heal): the next run succeeds.
    await db.rule.update({ where: { id: healed }, data: { condition: { verdict: 'violation' } } });
    await runRules();
    expect(await lastErrorOf(healed)).toEqual({ lastError: null, lastErrorAt: null });
    expect((await lastErrorOf(still)).lastError).toMatch(/unknown condition/);
    await db.rule.delete({ where: { id: still } });
  });

  it('shows no tenant another tenant’s rule', async () => {
    const other = await createTenantFixture(api, 'rule-errors-other');
    const response = await api.gql(RULE, { id: other.ids.ruleId }, f.sessions.ADMIN);
    expect(response.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });
});
