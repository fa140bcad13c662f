import { tenantDb } from '../src/db/tenant-scoped-db';
import { COCO_LABELS } from '../src/scene/object-labels';
import { errorCodes, startTestApi, type TestApi } from './support/api-harness';
import { fieldsOf } from './support/raw-http';
import { createTenantFixture, SAMPLE_VERSION, type TenantFixture } from './support/tenant-fixture';

/**
 * A tenant's label vocabulary over GraphQL: the custom labels an admin sets (audited, refused to
 * other roles, confined to the admin's tenant), and the check of the labels rules, rule drafts and
 * template gates name against COCO's and the tenant's own.
 */
const SET_LABELS = `mutation($labels: [String!]!) { setCustomLabels(labels: $labels) { id customLabels labelVocabulary } }`;
const MY_TENANT = '{ myTenant { id customLabels labelVocabulary } }';
const CREATE_RULE = `mutation($input: CreateRuleInput!) { createRule(input: $input) { id condition } }`;
const UPDATE_RULE = `mutation($ruleId: ID!, $input: UpdateRuleInput!) { updateRule(ruleId: $ruleId, input: $input) { id name condition } }`;
const BACKTEST = `query($input: BacktestRuleInput!) { backtestRule(input: $input) { evaluated firings { windowId } } }`;
const ADD_VERSION = `mutation($templateId: ID!, $input: PromptTemplateVersionInput!) {
  addPromptTemplateVersion(templateId: $templateId, input: $input) { id gateObjects } }`;

let api: TestApi;
let a: TenantFixture;
let b: TenantFixture;

const customLabelsOf = async (tenantId: string) =>
  (await api.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } })).customLabels;
const auditsOf = (tenantId: string) =>
  api.prisma.auditEvent.findMany({
    where: { tenantId, action: 'tenant.setCustomLabels' },
    orderBy: { chainIndex: 'asc' },
  });
const ruleCount = (fixture: TenantFixture) => tenantDb(api.prisma, fixture.tenantId).rule.count();
const rule = (condition: object) => ({
  name: `Rule ${Math.random().toString(36).slice(2, 8)}`,
  condition,
  action: { type: 'review' },
});

beforeAll(async () => {
  api = await startTestApi();
  [a, b] = await Promise.all([createTenantFixture(api, 'labels-a'), createTenantFixture(api, 'labels-b')]);
}, 60_000);

afterAll(() => api.stop());

describe('setCustomLabels', () => {
  it('lets the ADMIN replace the tenant’s labels, stored trimmed and lower-case, audited', async () => {
    const response = await api.gql<{
      setCustomLabels: { id: string; customLabels: string[]; labelVocabulary: string[] };
    }>(SET_LABELS, { labels: [' Forklift ', 'Hard  Hat', 'pallet'] }, a.sessions.ADMIN);
    expect(response.errors).toBeUndefined();
    expect(response.data!.setCustomLabels).toEqual({
      id: a.tenantId,
      customLabels: ['forklift', 'hard hat', 'pallet'],
      labelVocabulary: [...COCO_LABELS, 'forklift', 'hard hat', 'pallet'],
    });

    // An API key of an admin may do it too; the audit records what changed.
    const second = await api.gql(SET_LABELS, { labels: ['forklift', 'hard hat', 'crate'] }, a.apiKeys.ADMIN);
    expect(second.errors).toBeUndefined();
    const audits = await auditsOf(a.tenantId);
    expect(audits.map((event) => [event.actorType, event.entityType, event.entityId, event.data])).toEqual([
      [
        'user',
        'Tenant',
        a.tenantId,
        {
          labels: ['forklift', 'hard hat', 'pallet'],
          added: ['forklift', 'hard hat', 'pallet'],
          removed: [],
        },
      ],
      [
        'apiKey',
        'Tenant',
        a.tenantId,
        { labels: ['forklift', 'hard hat', 'crate'], added: ['crate'], removed: ['pallet'] },
      ],
    ]);
    expect(audits[0]!.actorId).toBe(a.userIds.ADMIN);

    // Every role of the tenant reads them; the other tenant still has none.
    for (const credential of [a.sessions.MODERATOR, a.apiKeys.AUDITOR]) {
      const mine = await api.gql<{ myTenant: { customLabels: string[] } }>(MY_TENANT, {}, credential);
      expect(mine.data!.myTenant.customLabels).toEqual(['forklift', 'hard hat', 'crate']);
    }
    const theirs = await api.gql<{ myTenant: { customLabels: string[]; labelVocabulary: string[] } }>(
      MY_TENANT,
      {},
      b.sessions.ADMIN,
    );
    expect(theirs.data!.myTenant).toMatchObject({ customLabels: [], labelVocabulary: [...COCO_LABELS] });
    expect(await customLabelsOf(b.tenantId)).toEqual([]);
  });

  it('refuses MODERATOR and AUDITOR, by session and API key, changing nothing', async () => {
    const before = await customLabelsOf(a.tenantId);
    const auditsBefore = (await auditsOf(a.tenantId)).length;
    for (const credential of [
      a.sessions.MODERATOR,
      a.apiKeys.MODERATOR,
      a.sessions.AUDITOR,
      a.apiKeys.AUDITOR,
    ]) {
      expect(errorCodes(await api.gql(SET_LABELS, { labels: ['ladder'] }, credential))).toEqual([
        'FORBIDDEN',
      ]);
    }
    expect(errorCodes(await api.gql(SET_LABELS, { labels: ['ladder'] }))).toEqual(['UNAUTHENTICATED']);
    expect(await customLabelsOf(a.tenantId)).toEqual(before);
    expect(await auditsOf(a.tenantId)).toHaveLength(auditsBefore);
  });

  it.each<[string, string[], string[], RegExp]>([
    ['a duplicate after normalising', ['ladder', ' LADDER'], ['labels.1'], /listed twice/],
    ['a COCO label', ['ladder', 'Person'], ['labels.1'], /COCO label already/],
    ['an empty label', ['  '], ['labels.0'], /must not be empty/],
    ['a label over 60 characters', ['x'.repeat(61)], ['labels.0'], /at most 60/],
    ['more than 200 labels', Array.from({ length: 201 }, (_, i) => `thing ${i}`), ['labels'], /at most 200/],
  ])(
    'refuses %s with BAD_USER_INPUT at its index, changing nothing',
    async (_name, labels, fields, message) => {
      const before = await customLabelsOf(a.tenantId);
      const response = await api.gql(SET_LABELS, { labels }, a.sessions.ADMIN);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual(fields);
      expect(response.errors![0]!.message).toMatch(message);
      expect(await customLabelsOf(a.tenantId)).toEqual(before);
    },
  );

  it('accepts exactly 200 labels, and none', async () => {
    const many = Array.from({ length: 200 }, (_, i) => `thing ${i}`);
    expect((await api.gql(SET_LABELS, { labels: many }, b.sessions.ADMIN)).errors).toBeUndefined();
    expect(await customLabelsOf(b.tenantId)).toHaveLength(200);
    expect((await api.gql(SET_LABELS, { labels: [] }, b.sessions.ADMIN)).errors).toBeUndefined();
    expect(await customLabelsOf(b.tenantId)).toEqual([]);
  });
});

describe('labels in rules, drafts and gates', () => {
  beforeAll(async () => {
    await api.gql(SET_LABELS, { labels: ['forklift', 'hard hat'] }, a.sessions.ADMIN);
  });

  it('refuses a misspelt label at its path, suggesting the closest, creating nothing', async () => {
    const before = await ruleCount(a);
    const response = await api.gql(
      CREATE_RULE,
      { input: rule({ all: [{ object: { label: 'persn', minConfidence: 0.5 } }, { verdict: 'review' }] }) },
      a.sessions.ADMIN,
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(response)).toEqual(['input.condition.all.0.object.label']);
    expect(response.errors![0]!.message).toMatch(/"persn" is not a known label.*did you mean "person"\?/);
    expect(await ruleCount(a)).toBe(before);
  });

  it('finds labels in event and track predicates inside temporal forms, reporting each', async () => {
    const response = await api.gql(
      CREATE_RULE,
      {
        input: rule({
          any: [
            {
              occurs: {
                when: { event: { type: 'enter', zone: 'Lawn', label: 'dgo' } },
                times: 2,
                withinSeconds: 60,
              },
            },
            { persists: { when: { track: { label: 'forklfit', minSpeed: 1 } }, windows: 2 } },
            { event: { type: 'run', label: 'person' } },
          ],
        }),
      },
      a.sessions.ADMIN,
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(response)).toEqual([
      'input.condition.any.0.occurs.when.event.label',
      'input.condition.any.1.persists.when.track.label',
    ]);
    expect(response.errors![0]!.message).toMatch(/did you mean "dog"\?.*did you mean "forklift"/);
  });

  it('accepts the tenant’s own labels, which another tenant may not use', async () => {
    const condition = {
      all: [{ object: { label: 'Forklift' } }, { event: { type: 'enter', zone: 'Dock', label: 'hard hat' } }],
    };
    const own = await api.gql<{ createRule: { id: string } }>(
      CREATE_RULE,
      { input: rule(condition) },
      a.sessions.ADMIN,
    );
    expect(own.errors).toBeUndefined();
    const other = await api.gql(CREATE_RULE, { input: rule(condition) }, b.sessions.ADMIN);
    expect(errorCodes(other)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(other)).toEqual([
      'input.condition.all.0.object.label',
      'input.condition.all.1.event.label',
    ]);
  });

  it('checks a changed condition on update, and does not check stored rules again', async () => {
    // A rule stored before its label was removed from the vocabulary.
    const stored = await tenantDb(api.prisma, a.tenantId).rule.create({
      data: {
        tenantId: a.tenantId,
        name: 'Old crates',
        condition: { object: { label: 'crate' } },
        action: { type: 'review' },
      },
    });
    const renamed = await api.gql<{ updateRule: { name: string; condition: unknown } }>(
      UPDATE_RULE,
      { ruleId: stored.id, input: { name: 'Old crates (kept)' } },
      a.sessions.ADMIN,
    );
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data!.updateRule).toEqual({
      id: stored.id,
      name: 'Old crates (kept)',
      condition: { object: { label: 'crate' } },
    });

    const typo = await api.gql(
      UPDATE_RULE,
      { ruleId: stored.id, input: { condition: { not: { track: { label: 'hardhat' } } } } },
      a.sessions.ADMIN,
    );
    expect(errorCodes(typo)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(typo)).toEqual(['input.condition.not.track.label']);
    expect(typo.errors![0]!.message).toMatch(/did you mean "hard hat"\?/);
    const kept = await tenantDb(api.prisma, a.tenantId).rule.findUniqueOrThrow({ where: { id: stored.id } });
    expect(kept.condition).toEqual({ object: { label: 'crate' } });

    // The saved rule backtests as stored; a draft with the same label is refused.
    const saved = await api.gql(
      BACKTEST,
      { input: { ruleId: stored.id, streamId: a.ids.streamId } },
      a.sessions.ADMIN,
    );
    expect(saved.errors).toBeUndefined();
    const draft = await api.gql(
      BACKTEST,
      {
        input: {
          streamId: a.ids.streamId,
          draft: { condition: { object: { label: 'crate' } }, action: { type: 'review' } },
        },
      },
      a.apiKeys.AUDITOR,
    );
    expect(errorCodes(draft)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(draft)).toEqual(['input.draft.condition.object.label']);
  });

  it('checks a template version’s gate labels against the vocabulary', async () => {
    const good = await api.gql<{ addPromptTemplateVersion: { gateObjects: string[] } }>(
      ADD_VERSION,
      { templateId: a.ids.templateId, input: { ...SAMPLE_VERSION, gateObjects: ['person', 'Forklift'] } },
      a.sessions.ADMIN,
    );
    expect(good.errors).toBeUndefined();
    expect(good.data!.addPromptTemplateVersion.gateObjects).toEqual(['person', 'forklift']);
    const other = await api.gql(
      ADD_VERSION,
      { templateId: b.ids.templateId, input: { ...SAMPLE_VERSION, gateObjects: ['person', 'forklift'] } },
      b.sessions.ADMIN,
    );
    expect(errorCodes(other)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(other)).toEqual(['input.gateObjects.1']);
  });
});
