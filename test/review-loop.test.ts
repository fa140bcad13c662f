import pino from 'pino';
import { Agent } from 'undici';
import { sealSecret } from '../src/auth/secret-box';
import { tenantDb, type TenantDb } from '../src/db/tenant-scoped-db';
import { RulesRunner } from '../src/rules/rules-runner';
import { webhookEventSink } from '../src/webhooks/webhook-events';
import { deliverWebhook } from '../src/webhooks/webhook-sender';
import { closeQuietIncidents } from '../src/workers/close-quiet-incidents.processor';
import { runReviewDeadlines } from '../src/workers/review-deadlines.processor';
import { errorCodes, startTestApi, type TestApi } from './support/api-harness';
import { createTenantFixture, type TenantFixture } from './support/tenant-fixture';

/**
 * The review loop end to end on real PostgreSQL and Redis: incidents that end when their rule stays
 * quiet (and a new one after), every system change in the audit chain with its system actor and in
 * order, partners told of openings, closings and alerts, the decide deadline counted from the
 * claim, and decisions that carry a reason someone chose.
 */
const logger = pino({ level: 'silent' });
const WINDOW_MS = 10_000;
const COOLDOWN_SECONDS = 30;

let api: TestApi;
let a: TenantFixture;
let b: TenantFixture;
let db: TenantDb;
let runner: RulesRunner;
let streamId: string;
let reviewRuleId: string;
let alertRuleId: string;
let endpointId: string;
/** Windows start this far in the past, so "quiet for the cooldown" is true by the wall clock. */
const T0 = Date.now() - 600_000;
let sequence = 0;

const person = {
  objects: [{ label: 'person', confidence: 0.9, count: 1 }],
  verdict: 'review',
  confidence: 0.9,
  summary: 'A person walks onto the lawn',
};

/** Records window `index` of the stream (10 s windows from T0) with a DONE analysis and runs the rules on it. */
async function fire(index: number, result: object = person): Promise<string> {
  const startAt = new Date(T0 + index * WINDOW_MS);
  sequence += 1;
  const frame = await db.frame.create({
    data: {
      tenantId: a.tenantId,
      streamId,
      sequence,
      capturedAt: startAt,
      storageKey: `review-loop/${sequence}.jpg`,
      sha256: '0'.repeat(64),
      width: 448,
      height: 256,
      bytes: 0,
    },
  });
  const window = await db.window.create({
    data: {
      tenantId: a.tenantId,
      streamId,
      index: sequence,
      frameIds: [frame.id],
      startAt,
      endAt: new Date(startAt.getTime() + WINDOW_MS),
      status: 'DONE',
    },
  });
  const analysis = await db.analysis.create({
    data: {
      tenantId: a.tenantId,
      streamId,
      windowId: window.id,
      templateVersionId: a.ids.versionId,
      mode: 'LOCAL',
      status: 'DONE',
      result: { timestamp: startAt.toISOString(), actions: [], anomalies: [], ...result },
      completedAt: new Date(),
    },
  });
  await runner.run(a.tenantId, analysis.id);
  return analysis.id;
}

const incidents = () =>
  db.incident.findMany({ where: { streamId, ruleId: reviewRuleId }, orderBy: { id: 'asc' } });

/** The tenant's audit events after `afterIndex` in chain order, as [action, actorType, actorId]. */
async function auditSince(afterIndex: number) {
  const events = await db.auditEvent.findMany({
    where: { chainIndex: { gt: afterIndex } },
    orderBy: { chainIndex: 'asc' },
  });
  return events;
}

async function chainHead(): Promise<number> {
  const last = await db.auditEvent.findFirst({
    where: { chainIndex: { not: null } },
    orderBy: { chainIndex: 'desc' },
  });
  return last?.chainIndex ?? 0;
}

const claim = `mutation($id: ID!) { claimReviewItem(reviewItemId: $id) { id claimedAt decideDueAt claimDueAt } }`;
const decide = `mutation($id: ID!, $input: ReviewDecisionInput!) {
  decideReviewItem(reviewItemId: $id, input: $input) { id status decision reason policy policyReasonId notes decidedById }
}`;

describe('review loop', () => {
  beforeAll(async () => {
    api = await startTestApi();
    [a, b] = await Promise.all([createTenantFixture(api, 'loop-a'), createTenantFixture(api, 'loop-b')]);
    db = tenantDb(api.prisma, a.tenantId);
    const stream = await db.stream.create({
      data: {
        tenantId: a.tenantId,
        name: 'Loop lawn',
        sourceUrl: 'rtsp://camera.example.net/loop',
        kind: 'RTSP',
        status: 'ACTIVE',
        templateId: a.ids.templateId,
      },
    });
    streamId = stream.id;
    await db.reviewQueue.create({
      data: { tenantId: a.tenantId, name: 'loop', claimWithinSeconds: 60, decideWithinSeconds: 120 },
    });
    const admin = {
      kind: 'user' as const,
      id: a.userIds.ADMIN,
      tenantId: a.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    // Only this test's rules run: the fixture's rule would fire on the same results.
    await db.rule.update({ where: { id: a.ids.ruleId }, data: { enabled: false } });
    const create = async (name: string, action: object) =>
      (
        await api.services.rules.create(db, admin, {
          name,
          condition: { object: { label: 'person' } },
          action,
          cooldownSeconds: COOLDOWN_SECONDS,
        })
      ).id;
    reviewRuleId = await create('Person on the loop lawn', { type: 'review', queue: 'loop', priority: 60 });
    alertRuleId = await create('Person alert (loop)', { type: 'alert', severity: 'high' });
    const endpoint = await db.webhookEndpoint.create({
      data: {
        tenantId: a.tenantId,
        url: 'https://hooks.example.net/loop',
        events: ['incident.opened', 'incident.closed', 'alert.raised'],
        secretEncrypted: sealSecret('whsec_loop', 'loop-webhook-key-0123456789abcdef'),
      },
    });
    endpointId = endpoint.id;
    runner = new RulesRunner({
      prisma: api.prisma,
      redis: api.redis,
      logger,
      webhooks: webhookEventSink(api.prisma, api.jobs),
    });
  }, 60_000);

  afterAll(() => api.stop());

  it('closes an incident once its rule stays quiet for its cooldown; the next firing opens a new one', async () => {
    const before = await chainHead();
    for (const index of [0, 1, 2]) await fire(index);
    let [first] = await incidents();
    expect(first).toMatchObject({ status: 'OPEN', firings: 3, closedAt: null });

    // Within the cooldown of its last firing (by its windows' times) it stays open.
    const lastFiredAt = first!.lastFiredAt.getTime();
    // (The job runs over every tenant: other tests' incidents in this database may close too.)
    await closeQuietIncidents(api.prisma, null, new Date(lastFiredAt + 10_000));
    expect((await incidents())[0]).toMatchObject({ status: 'OPEN', closedAt: null });
    const { closed } = await closeQuietIncidents(api.prisma, webhookEventSink(api.prisma, api.jobs));
    expect(closed).toBeGreaterThanOrEqual(1);
    [first] = await incidents();
    expect(first).toMatchObject({ status: 'CLOSED', closeReason: 'quiet' });
    expect(first!.closedAt).not.toBeNull();
    // Closed once: a second run leaves it as it was.
    await closeQuietIncidents(api.prisma, null);
    expect((await incidents())[0]!.closedAt).toEqual(first!.closedAt);

    // Two minutes later the rule fires again: a new incident with its own review item.
    await fire(14);
    const all = await incidents();
    expect(all.map((incident) => [incident.status, incident.firings])).toEqual([
      ['CLOSED', 3],
      ['OPEN', 1],
    ]);
    expect(await db.reviewItem.count({ where: { streamId } })).toBe(2);

    // The audit chain holds the system's changes, in order, with the rule or the job as the actor.
    const events = (await auditSince(before)).filter((event) => event.entityType !== 'Rule');
    const trail = events.map((event) => [event.action, event.actorType, event.actorId]);
    const rule = (action: string) => [action, 'rule', reviewRuleId];
    const alertRule = (action: string) => [action, 'rule', alertRuleId];
    const firstId = first!.id;
    const secondId = all[1]!.id;
    const about = (id: string) =>
      events.filter((event) => event.entityId === id).map((event) => event.action);
    expect(about(firstId)).toEqual(
      expect.arrayContaining(['incident.opened', 'rule.fired', 'incident.closed']),
    );
    expect(trail).toEqual(
      expect.arrayContaining([rule('incident.opened'), rule('rule.fired'), rule('reviewItem.created')]),
    );
    expect(trail).toEqual(expect.arrayContaining([alertRule('incident.opened'), alertRule('rule.fired')]));
    expect(trail).toContainEqual(['incident.closed', 'worker', 'incident-closer']);
    const ofFirst = events.filter((event) => event.entityId === firstId).map((event) => event.action);
    expect(ofFirst).toEqual(['incident.opened', 'rule.fired', 'rule.fired', 'rule.fired', 'incident.closed']);
    expect(about(secondId)).toEqual(['incident.opened', 'rule.fired']);
    const closing = events.find((event) => event.entityId === firstId && event.action === 'incident.closed')!;
    expect(closing.data).toMatchObject({ reason: 'quiet', firings: 3 });
    // Every event is chained: indexes consecutive, the chain verifies.
    const indexes = (await auditSince(before)).map((event) => event.chainIndex!);
    expect(indexes).toEqual(indexes.map((_, i) => before + 1 + i));
    expect((await api.services.auditChain.verify(db)).ok).toBe(true);

    // Partners subscribed to these events heard of each occurrence, once.
    const deliveries = await db.webhookDelivery.findMany({ where: { endpointId }, orderBy: { id: 'asc' } });
    const keys = deliveries.map((delivery) => delivery.eventKey);
    expect(keys.filter((key) => key.startsWith('incident.opened:'))).toHaveLength(4);
    expect(keys.filter((key) => key.startsWith('incident.closed:'))).toHaveLength(2);
    expect(keys.filter((key) => key.startsWith('alert.raised:'))).toHaveLength(2);
    expect(new Set(keys).size).toBe(keys.length);
    const closedEvent = deliveries.find((delivery) =>
      delivery.eventKey.startsWith(`incident.closed:${firstId}`),
    )!;
    expect(closedEvent.payload).toMatchObject({
      incidentId: firstId,
      ruleName: 'Person on the loop lawn',
      status: 'CLOSED',
      closeReason: 'quiet',
      firings: 3,
    });
  });

  it('bounds an incident’s keyframes however long it lasts, with every firing kept', async () => {
    const [, open] = await incidents();
    for (let index = 15; index < 45; index += 1) await fire(index);
    const incident = await db.incident.findUniqueOrThrow({ where: { id: open!.id } });
    expect(incident.firings).toBe(31);
    expect(incident.keyframeIds.length).toBeLessThanOrEqual(12);
    expect(await db.incidentFiring.count({ where: { incidentId: incident.id } })).toBe(31);
  });

  it('counts the time to decide from the claim, and audits the deadline clock as the worker’s', async () => {
    const [, open] = await incidents();
    const item = await db.reviewItem.findFirstOrThrow({ where: { incidentId: open!.id } });
    expect(item.decideDueAt).toBeNull();
    const claimed = await api.gql<{ claimReviewItem: { claimedAt: string; decideDueAt: string } }>(
      claim,
      { id: item.id },
      a.sessions.MODERATOR,
    );
    expect(claimed.errors).toBeUndefined();
    const { claimedAt, decideDueAt } = claimed.data!.claimReviewItem;
    expect(Date.parse(decideDueAt) - Date.parse(claimedAt)).toBe(120_000);

    // The claim runs out: the item returns to the queue, its decide deadline with it.
    await db.reviewItem.update({
      where: { id: item.id },
      data: { claimExpiresAt: new Date(Date.now() - 1_000) },
    });
    const before = await chainHead();
    await runReviewDeadlines(api.prisma, api.redis);
    expect(await db.reviewItem.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({
      status: 'OPEN',
      claimedAt: null,
      decideDueAt: null,
    });
    const events = await auditSince(before);
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toContainEqual([
      'reviewItem.claimExpired',
      'worker',
      'review-deadlines',
    ]);
  });

  it('records a decision with the policy reason the moderator chose, its policy and its decider', async () => {
    const [, open] = await incidents();
    const item = await db.reviewItem.findFirstOrThrow({ where: { incidentId: open!.id } });
    await api.gql(claim, { id: item.id }, a.sessions.MODERATOR);
    const restricted = await db.policyReason.create({
      data: { tenantId: a.tenantId, label: 'Only for stops', policy: 'Safety 9', decisions: ['STOP_STREAM'] },
    });
    const archived = await db.policyReason.create({
      data: { tenantId: a.tenantId, label: 'Old reason', policy: 'Old', archivedAt: new Date() },
    });
    const attempt = (input: object, credential = a.sessions.MODERATOR) =>
      api.gql(decide, { id: item.id, input }, credential);
    const fieldsOf = (response: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
      (response.errors ?? []).flatMap((error) =>
        ((error.extensions?.fields as { field: string }[] | undefined) ?? []).map((field) => field.field),
      );

    const neither = await attempt({ decision: 'DISMISS' });
    expect(errorCodes(neither)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(neither)).toEqual(['input.policyReasonId']);
    const both = await attempt({ decision: 'DISMISS', policyReasonId: a.ids.policyReasonId, reason: 'mine' });
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
    expect(fieldsOf(both)).toEqual(['input.reason']);
    const wrongDecision = await attempt({ decision: 'DISMISS', policyReasonId: restricted.id });
    expect(errorCodes(wrongDecision)).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await attempt({ decision: 'DISMISS', policyReasonId: archived.id }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(errorCodes(await attempt({ decision: 'DISMISS', policyReasonId: b.ids.policyReasonId }))).toEqual([
      'NOT_FOUND',
    ]);
    // Nothing of those attempts was recorded.
    expect(await db.reviewItem.findUniqueOrThrow({ where: { id: item.id } })).toMatchObject({
      status: 'CLAIMED',
      decision: null,
      reason: null,
    });

    const before = await chainHead();
    const decided = await attempt({
      decision: 'DISMISS',
      policyReasonId: a.ids.policyReasonId,
      notes: 'a gardener on his round',
    });
    expect(decided.errors).toBeUndefined();
    expect(decided.data!.decideReviewItem).toEqual({
      id: item.id,
      status: 'RESOLVED',
      decision: 'DISMISS',
      reason: 'Nothing against the policy',
      policy: 'Community guidelines 1.1',
      policyReasonId: a.ids.policyReasonId,
      notes: 'a gardener on his round',
      decidedById: a.userIds.MODERATOR,
    });
    const events = await auditSince(before);
    expect(events.map((event) => [event.action, event.actorType, event.actorId])).toEqual([
      ['reviewItem.decide', 'user', a.userIds.MODERATOR],
      ['incident.closed', 'user', a.userIds.MODERATOR],
    ]);
    expect(events[0]!.data).toMatchObject({
      decision: 'DISMISS',
      reason: 'Nothing against the policy',
      policy: 'Community guidelines 1.1',
      policyReasonId: a.ids.policyReasonId,
    });
    expect(await db.incident.findUniqueOrThrow({ where: { id: open!.id } })).toMatchObject({
      status: 'CLOSED',
      closeReason: 'decided',
    });
  });

  it('audits an automatic dismissal as the rule’s and its reopening as the moderator’s', async () => {
    const admin = {
      kind: 'user' as const,
      id: a.userIds.ADMIN,
      tenantId: a.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const dismissRule = await api.services.rules.create(db, admin, {
      name: 'Unsure people are dismissed',
      condition: { object: { label: 'person' } },
      action: { type: 'autoDismiss', belowConfidence: 0.95 },
      cooldownSeconds: COOLDOWN_SECONDS,
    });
    await closeQuietIncidents(api.prisma, null);
    const before = await chainHead();
    await fire(60);
    const item = await db.reviewItem.findFirstOrThrow({
      where: { streamId, decision: 'AUTO_DISMISS' },
      orderBy: { createdAt: 'desc' },
    });
    const dismissal = (await auditSince(before)).find(
      (event) => event.action === 'reviewItem.autoDismissed',
    )!;
    expect([dismissal.actorType, dismissal.actorId, dismissal.entityId]).toEqual([
      'rule',
      dismissRule.id,
      item.id,
    ]);

    const reopened = await api.gql(
      `mutation($id: ID!) { reopenReviewItem(reviewItemId: $id) { id status } }`,
      { id: item.id },
      a.sessions.MODERATOR,
    );
    expect(reopened.errors).toBeUndefined();
    const after = await auditSince(before);
    // The incident was never closed by the dismissal (the event may go on), so only the item reopens.
    expect(after.filter((event) => event.actorType === 'user').map((event) => event.action)).toEqual([
      'reviewItem.reopen',
    ]);
    await db.rule.update({ where: { id: dismissRule.id }, data: { enabled: false } });
  });

  it('audits a webhook delivery that gives up as the webhook worker’s', async () => {
    const delivery = await db.webhookDelivery.findFirstOrThrow({ where: { endpointId, status: 'PENDING' } });
    const before = await chainHead();
    const agent = new Agent();
    try {
      const outcome = await deliverWebhook(
        {
          prisma: api.prisma,
          agent,
          config: {
            WEBHOOK_SECRET_KEY: 'loop-webhook-key-0123456789abcdef',
            WEBHOOK_ALLOW_PRIVATE_URLS: false,
            WEBHOOK_TIMEOUT_MS: 2_000,
          },
        },
        { tenantId: a.tenantId, deliveryId: delivery.id },
        { attemptsMade: 0, attempts: 1, backoffMs: 1 },
      );
      expect(outcome).toBe('dead');
    } finally {
      await agent.close();
    }
    const events = await auditSince(before);
    expect(events.map((event) => [event.action, event.actorType, event.actorId, event.entityId])).toEqual([
      ['webhookDelivery.deadLettered', 'worker', 'deliver-webhook', delivery.id],
    ]);
    expect(events[0]!.data).toMatchObject({ event: delivery.event, attempts: 1 });
  });
});
