import { randomUUID } from 'node:crypto';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { fieldsOf } from './support/raw-http';
import { createTenantFixture, SAMPLE_VERSION, TenantFixture } from './support/tenant-fixture';

/**
 * What a tenant admin sets up: API keys that may claim and decide review items (the review scope),
 * a default template that new streams get, streams that start when they are created, and restarts
 * of ended footage that the audit log gives to the job that made them, not to a person.
 */
const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id role scopes } } }`;
const CLAIM = `mutation ($id: ID!) { claimReviewItem(reviewItemId: $id) { id status assigneeId assigneeApiKeyId } }`;
const DECIDE = `mutation ($id: ID!, $input: ReviewDecisionInput!) {
  decideReviewItem(reviewItemId: $id, input: $input) { id status decision reason decidedById decidedByApiKeyId } }`;
const CREATE_STREAM = `mutation ($input: CreateStreamInput!) { createStream(input: $input) { id status template { id } } }`;
const SET_DEFAULT = `mutation ($t: ID) { setDefaultTemplate(templateId: $t) { id defaultTemplateId } }`;
const CREATE_TEMPLATE = `mutation ($input: CreatePromptTemplateInput!) { createPromptTemplate(input: $input) { id } }`;

let api: TestApi;
let f: TenantFixture;
let other: TenantFixture;

beforeAll(async () => {
  api = await startTestApi();
  [f, other] = await Promise.all([
    createTenantFixture(api, 'admin-setup'),
    createTenantFixture(api, 'admin-other'),
  ]);
});

afterAll(async () => {
  await api?.stop();
});

const auditOf = (tenantId: string, entityId: string) =>
  api.prisma.auditEvent.findMany({ where: { tenantId, entityId }, orderBy: { chainIndex: 'asc' } });

async function newReviewItem(fixture: TenantFixture): Promise<string> {
  const db = tenantDb(api.prisma, fixture.tenantId);
  const now = new Date();
  const incident = await db.incident.create({
    data: {
      tenantId: fixture.tenantId,
      streamId: fixture.ids.streamId,
      ruleId: fixture.ids.ruleId,
      startAt: now,
      endAt: now,
      lastFiredAt: now,
    },
  });
  const item = await db.reviewItem.create({
    data: {
      tenantId: fixture.tenantId,
      incidentId: incident.id,
      streamId: fixture.ids.streamId,
      queue: 'partner',
      priority: 50,
    },
  });
  return item.id;
}

describe('API keys with the review scope', () => {
  let reviewKey: string;
  let reviewKeyId: string;

  beforeAll(async () => {
    const created = await api.gql<{
      createApiKey: { secret: string; apiKey: { id: string; role: string; scopes: string[] } };
    }>(
      CREATE_KEY,
      { input: { name: 'Partner review tool', role: 'MODERATOR', scopes: ['REVIEW'] } },
      f.sessions.ADMIN,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data!.createApiKey.apiKey).toMatchObject({ role: 'MODERATOR', scopes: ['REVIEW'] });
    reviewKey = created.data!.createApiKey.secret;
    reviewKeyId = created.data!.createApiKey.apiKey.id;
  });

  it('stores and audits the scopes, and lists them', async () => {
    const events = await auditOf(f.tenantId, reviewKeyId);
    expect(events.map((event) => event.action)).toEqual(['apiKey.create']);
    expect(events[0]!.data).toMatchObject({ role: 'MODERATOR', scopes: ['review'] });
    const listed = await api.gql<{ apiKeys: { edges: { node: { id: string; scopes: string[] } }[] } }>(
      '{ apiKeys(first: 50) { edges { node { id scopes } } } }',
      {},
      f.sessions.AUDITOR,
    );
    const nodes = listed.data!.apiKeys.edges.map((edge) => edge.node);
    expect(nodes.find((node) => node.id === reviewKeyId)!.scopes).toEqual(['REVIEW']);
    expect(nodes.filter((node) => node.id !== reviewKeyId).every((node) => node.scopes.length === 0)).toBe(
      true,
    );
  });

  it('claims and decides with a policy-free typed reason, audited as the key', async () => {
    const id = await newReviewItem(f);
    const claimed = await api.gql<{ claimReviewItem: Record<string, unknown> }>(CLAIM, { id }, reviewKey);
    expect(claimed.errors).toBeUndefined();
    expect(claimed.data!.claimReviewItem).toMatchObject({
      status: 'CLAIMED',
      assigneeId: null,
      assigneeApiKeyId: reviewKeyId,
    });
    const decided = await api.gql<{ decideReviewItem: Record<string, unknown> }>(
      DECIDE,
      { id, input: { decision: 'CONFIRM_VIOLATION', reason: 'on the lawn after hours' } },
      reviewKey,
    );
    expect(decided.errors).toBeUndefined();
    expect(decided.data!.decideReviewItem).toMatchObject({
      status: 'RESOLVED',
      decision: 'CONFIRM_VIOLATION',
      reason: 'on the lawn after hours',
      decidedById: null,
      decidedByApiKeyId: reviewKeyId,
    });
    const events = await auditOf(f.tenantId, id);
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toEqual([
      ['reviewItem.claim', 'apiKey', reviewKeyId],
      ['reviewItem.decide', 'apiKey', reviewKeyId],
    ]);
  });

  it('adds a note as the key, named as the key and audited as it', async () => {
    const id = await newReviewItem(f);
    const added = await api.gql<{
      addReviewNote: { authorType: string; authorId: string; authorName: string };
    }>(
      `mutation($id: ID!, $text: String!) { addReviewNote(reviewItemId: $id, text: $text) { authorType authorId authorName } }`,
      { id, text: 'Checked against the partner’s own camera log' },
      reviewKey,
    );
    expect(added.errors).toBeUndefined();
    expect(added.data!.addReviewNote).toMatchObject({ authorType: 'apiKey', authorId: reviewKeyId });
    expect(added.data!.addReviewNote.authorName).toContain('Partner review tool');
    const events = await auditOf(f.tenantId, id);
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toEqual([
      ['reviewItem.note', 'apiKey', reviewKeyId],
    ]);
  });

  it('refuses a key without the scope with FORBIDDEN, and another tenant’s item with NOT_FOUND', async () => {
    const id = await newReviewItem(f);
    expect(errorCodes(await api.gql(CLAIM, { id }, f.apiKeys.MODERATOR))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await api.gql(CLAIM, { id }, f.apiKeys.ADMIN))).toEqual(['FORBIDDEN']);
    const foreign = await newReviewItem(other);
    expect(errorCodes(await api.gql(CLAIM, { id: foreign }, reviewKey))).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(
        await api.gql(DECIDE, { id: foreign, input: { decision: 'DISMISS', reason: 'x' } }, reviewKey),
      ),
    ).toEqual(['NOT_FOUND']);
    const untouched = await api.prisma.reviewItem.findUniqueOrThrow({ where: { id: foreign } });
    expect(untouched.status).toBe('OPEN');
  });

  it('refuses the scope on a role that does not review, and unknown scopes, naming the field', async () => {
    const keysBefore = await api.prisma.apiKey.count({ where: { tenantId: f.tenantId } });
    const auditor = await api.gql(
      CREATE_KEY,
      { input: { name: 'Auditor reviewer', role: 'AUDITOR', scopes: ['REVIEW'] } },
      f.sessions.ADMIN,
    );
    expect(errorCodes(auditor)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(auditor)).toEqual(['input.scopes']);
    const unknown = await api.gql(
      CREATE_KEY,
      { input: { name: 'Wizard', role: 'ADMIN', scopes: ['WIZARD'] } },
      f.sessions.ADMIN,
    );
    expect(errorCodes(unknown)).toEqual(['BAD_USER_INPUT']);
    const byModerator = await api.gql(
      CREATE_KEY,
      { input: { name: 'Self-made', role: 'MODERATOR', scopes: ['REVIEW'] } },
      f.sessions.MODERATOR,
    );
    expect(errorCodes(byModerator)).toEqual(['FORBIDDEN']);
    expect(await api.prisma.apiKey.count({ where: { tenantId: f.tenantId } })).toBe(keysBefore);
  });
});

describe('new streams: the default template, started at once', () => {
  let second: string;

  beforeAll(async () => {
    const created = await api.gql<{ createPromptTemplate: { id: string } }>(
      CREATE_TEMPLATE,
      { input: { name: 'Second template', version: SAMPLE_VERSION } },
      f.sessions.ADMIN,
    );
    second = created.data!.createPromptTemplate.id;
  });

  const createStream = (input: Record<string, unknown>, credential = f.sessions.ADMIN) =>
    api.gql<{ createStream: { id: string; status: string; template: { id: string } | null } }>(
      CREATE_STREAM,
      {
        input: {
          name: `cam ${randomUUID().slice(0, 8)}`,
          sourceUrl: 'rtsp://camera.example.net/new',
          ...input,
        },
      },
      credential,
    );

  it('gives a stream without a template the oldest template, then the chosen default; starts it, audited', async () => {
    const oldest = await createStream({});
    expect(oldest.errors).toBeUndefined();
    expect(oldest.data!.createStream).toMatchObject({ status: 'ACTIVE', template: { id: f.ids.templateId } });
    const events = await auditOf(f.tenantId, oldest.data!.createStream.id);
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toEqual([
      ['stream.create', 'user', f.userIds.ADMIN],
      ['stream.start', 'user', f.userIds.ADMIN],
    ]);

    const set = await api.gql<{ setDefaultTemplate: { defaultTemplateId: string } }>(
      SET_DEFAULT,
      { t: second },
      f.sessions.ADMIN,
    );
    expect(set.errors).toBeUndefined();
    expect(set.data!.setDefaultTemplate.defaultTemplateId).toBe(second);
    const setEvents = await api.prisma.auditEvent.findMany({
      where: { tenantId: f.tenantId, action: 'tenant.setDefaultTemplate' },
    });
    expect(setEvents.map((event) => event.data)).toEqual([{ templateId: second }]);

    const byDefault = await createStream({ start: false });
    expect(byDefault.data!.createStream).toMatchObject({ status: 'STOPPED', template: { id: second } });
    const none = await createStream({ templateId: null, start: false });
    expect(none.data!.createStream.template).toBeNull();
    const named = await createStream({ templateId: f.ids.templateId, start: false });
    expect(named.data!.createStream.template).toEqual({ id: f.ids.templateId });

    // Forgetting the default returns to the oldest template.
    await api.gql(SET_DEFAULT, { t: null }, f.sessions.ADMIN);
    expect((await createStream({ start: false })).data!.createStream.template).toEqual({
      id: f.ids.templateId,
    });
    await api.gql(SET_DEFAULT, { t: second }, f.sessions.ADMIN);
    for (const id of [oldest.data!.createStream.id]) {
      await api.gql('mutation ($id: ID!) { stopStream(streamId: $id) { id } }', { id }, f.sessions.ADMIN);
    }
  });

  it('refuses another tenant’s template as default (NOT_FOUND), a malformed id, and non-admins', async () => {
    const foreign = await api.gql(SET_DEFAULT, { t: other.ids.templateId }, f.sessions.ADMIN);
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    const malformed = await api.gql(SET_DEFAULT, { t: 'nope' }, f.sessions.ADMIN);
    expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(malformed)).toEqual(['templateId']);
    expect(errorCodes(await api.gql(SET_DEFAULT, { t: second }, f.sessions.MODERATOR))).toEqual([
      'FORBIDDEN',
    ]);
    expect(errorCodes(await api.gql(SET_DEFAULT, { t: second }, f.apiKeys.AUDITOR))).toEqual(['FORBIDDEN']);
    const tenant = await api.prisma.tenant.findUniqueOrThrow({ where: { id: f.tenantId } });
    expect(tenant.defaultTemplateId).toBe(second);
  });

  it('creates nothing when the start would pass the active-stream quota, or the template is another tenant’s', async () => {
    const streamsBefore = await api.prisma.stream.count({ where: { tenantId: other.tenantId } });
    await api.services.tenants.updateQuotas({ kind: 'operator', id: null }, other.tenantId, {
      maxActiveStreams: 1,
    });
    const first = await createStream({}, other.sessions.ADMIN);
    expect(first.data!.createStream.status).toBe('ACTIVE');
    const over = await createStream({}, other.sessions.ADMIN);
    expect(errorCodes(over)).toEqual(['CONFLICT']);
    expect(await api.prisma.stream.count({ where: { tenantId: other.tenantId } })).toBe(streamsBefore + 1);
    const stopped = await createStream({ start: false }, other.sessions.ADMIN);
    expect(stopped.data!.createStream.status).toBe('STOPPED');
    const foreignTemplate = await createStream({ templateId: f.ids.templateId }, other.sessions.ADMIN);
    expect(errorCodes(foreignTemplate)).toEqual(['NOT_FOUND']);
    expect(await api.prisma.stream.count({ where: { tenantId: other.tenantId } })).toBe(streamsBefore + 2);
    await api.gql(
      'mutation ($id: ID!) { stopStream(streamId: $id) { id } }',
      { id: first.data!.createStream.id },
      other.sessions.ADMIN,
    );
  });
});

describe('restarts of ended footage', () => {
  it('are audited as the job that made them (actorType worker), never as a person', async () => {
    const db = tenantDb(api.prisma, f.tenantId);
    const stream = await db.stream.create({
      data: {
        tenantId: f.tenantId,
        name: `footage ${randomUUID().slice(0, 8)}`,
        sourceUrl: 'file:///footage.mp4',
        kind: 'FILE',
        status: 'ENDED',
      },
    });
    const replayed = await api.services.streams.replayEnded(db, f.tenantId, stream.id, 'demo-footage-replay');
    expect(replayed.status).toBe('ACTIVE');
    const events = await auditOf(f.tenantId, stream.id);
    expect(events.map((event) => [event.action, event.actorType, event.actorId, event.data])).toEqual([
      ['stream.replay', 'worker', 'demo-footage-replay', { from: 'ENDED', to: 'ACTIVE' }],
    ]);
    // A person's stop wins: a replay applies only to an ENDED stream.
    await api.gql(
      'mutation ($id: ID!) { stopStream(streamId: $id) { id } }',
      { id: stream.id },
      f.sessions.ADMIN,
    );
    await expect(
      api.services.streams.replayEnded(db, f.tenantId, stream.id, 'demo-footage-replay'),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await db.stream.findUniqueOrThrow({ where: { id: stream.id } })).status).toBe('STOPPED');
    // Another tenant's stream is not found.
    await expect(
      api.services.streams.replayEnded(db, f.tenantId, other.ids.streamId, 'demo-footage-replay'),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
