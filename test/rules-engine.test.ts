import type { Queue } from 'bullmq';
import type Redis from 'ioredis';
import pino from 'pino';
import { tenantDb, type TenantDb } from '../src/db/tenant-scoped-db';
import { eventsSince } from '../src/pubsub/event-bus';
import { TOPICS } from '../src/pubsub/topics';
import { RulesRunner } from '../src/rules/rules-runner';
import { historyKey } from '../src/rules/stream-history';
import { createRedis } from '../src/redis/redis-client';
import { QUEUES, type EvaluateRulesPayload } from '../src/jobs/job-registry';
import { webhookEventSink } from '../src/webhooks/webhook-events';
import { type JobWorkers, startJobWorkers } from '../src/workers/job-workers';
import { evaluateRulesHandler } from '../src/workers/evaluate-rules.processor';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';
import { testJobQueue } from './support/test-jobs';

/**
 * The rules engine on real PostgreSQL and Redis: a stream's analyses, in order, fire rules that are
 * stitched into incidents with their review items and alerts; cooldowns, failing rules, lost Redis
 * state, duplicate jobs, backtests and other tenants' ids.
 */
const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const WINDOW_MS = 10_000;

let api: TestApi;
let a: TenantFixture;
let b: TenantFixture;
let db: TenantDb;
let runner: RulesRunner;
let streamId: string;
let versionId: string;
const rules: Record<string, string> = {};
const analysisIds: string[] = [];
const windowIds: string[] = [];

const person = {
  objects: [{ label: 'person', confidence: 0.9, count: 1 }],
  verdict: 'review',
  confidence: 0.9,
};
const empty = { objects: [], verdict: 'safe', confidence: 0.95 };

/**
 * Records window `index` of the stream (consecutive 10 s windows) and its DONE analysis; the ids
 * of the main stream's are kept in windowIds and analysisIds.
 */
async function analysed(index: number, result: object, stream = streamId): Promise<string> {
  const startAt = new Date(T0 + index * WINDOW_MS);
  const frame = await db.frame.create({
    data: {
      tenantId: a.tenantId,
      streamId: stream,
      sequence: index,
      capturedAt: startAt,
      storageKey: `rules-test/${index}.jpg`,
      sha256: '0'.repeat(64),
      width: 448,
      height: 256,
      bytes: 0,
    },
  });
  const window = await db.window.create({
    data: {
      tenantId: a.tenantId,
      streamId: stream,
      index,
      frameIds: [frame.id],
      startAt,
      endAt: new Date(startAt.getTime() + WINDOW_MS),
      status: 'DONE',
    },
  });
  const analysis = await db.analysis.create({
    data: {
      tenantId: a.tenantId,
      streamId: stream,
      windowId: window.id,
      templateVersionId: versionId,
      mode: 'VLM',
      status: 'DONE',
      result: { timestamp: startAt.toISOString(), actions: [], anomalies: [], ...result },
      reasoning: 'I look at the lawn.',
      completedAt: new Date(),
    },
  });
  if (stream === streamId) {
    windowIds[index] = window.id;
    analysisIds[index] = analysis.id;
  }
  return analysis.id;
}

const incidentsOf = (ruleId: string) =>
  db.incident.findMany({ where: { streamId, ruleId }, orderBy: { startAt: 'asc' } });

/** An incident's firings in window order: which windows and analyses fired into it. */
async function evidenceOf(incidentId: string): Promise<{ windowIds: string[]; analysisIds: string[] }> {
  const firings = await db.incidentFiring.findMany({ where: { incidentId }, orderBy: { startAt: 'asc' } });
  return {
    windowIds: firings.map((firing) => firing.windowId),
    analysisIds: firings.map((firing) => firing.analysisId),
  };
}

describe('rules engine', () => {
  beforeAll(async () => {
    api = await startTestApi();
    [a, b] = await Promise.all([createTenantFixture(api, 'rules-a'), createTenantFixture(api, 'rules-b')]);
    db = tenantDb(api.prisma, a.tenantId);
    versionId = a.ids.versionId;
    const admin = {
      kind: 'user' as const,
      id: a.userIds.ADMIN,
      tenantId: a.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const stream = await api.services.streams.create(db, admin, {
      name: 'Back lawn',
      sourceUrl: 'rtsp://camera.example.net/back',
      templateId: a.ids.templateId,
      start: false,
    });
    streamId = stream.id;
    // The fixture's rule: a person on the lawn -> review item in queue "lawn" (cooldown 60 s).
    rules.review = a.ids.ruleId;
    await db.reviewQueue.create({
      data: { tenantId: a.tenantId, name: 'lawn', claimWithinSeconds: 42, decideWithinSeconds: 420 },
    });
    const create = async (name: string, condition: object, action: object, priority = 0) =>
      (await api.services.rules.create(db, admin, { name, condition, action, priority, cooldownSeconds: 60 }))
        .id;
    rules.appears = await create(
      'Person appears',
      { appears: { when: { object: { label: 'person' } }, absentFor: 2 } },
      { type: 'alert', severity: 'high' },
    );
    rules.alertEach = await create('Person alert', { object: { label: 'person' } }, { type: 'alert' }, 5);
    // A stored rule the engine cannot evaluate (written around the API's validation), run first.
    const broken = await db.rule.create({
      data: {
        tenantId: a.tenantId,
        name: 'Broken',
        condition: { bogus: true },
        action: { type: 'review' },
        priority: 1000,
      },
    });
    rules.broken = broken.id;
    runner = new RulesRunner({
      prisma: api.prisma,
      redis: api.redis,
      logger,
      webhooks: webhookEventSink(api.prisma, api.jobs),
    });
  }, 60_000);

  afterAll(() => api.stop());

  it('fires an appears rule once and stitches the following windows into one incident, one item, one alert', async () => {
    const reports = [];
    for (const [index, result] of [empty, person, person, person].entries()) {
      reports.push(await runner.run(a.tenantId, await analysed(index, result)));
    }
    // The broken rule fails every time; the others run regardless.
    for (const report of reports) {
      expect(report.status).toBe('EVALUATED');
      expect(report.failed).toEqual([
        { ruleId: rules.broken, error: expect.stringMatching(/unknown condition/) },
      ]);
    }
    expect(reports[0]!.fired).toEqual([]);
    expect(reports[1]!.fired.map((firing) => firing.ruleId).sort()).toEqual(
      [rules.review, rules.appears, rules.alertEach].sort(),
    );
    expect(reports[2]!.fired.map((firing) => firing.ruleId).sort()).toEqual(
      [rules.review, rules.alertEach].sort(),
    );

    const [reviewIncident, ...moreReview] = await incidentsOf(rules.review!);
    expect(moreReview).toEqual([]);
    expect(reviewIncident).toMatchObject({
      status: 'OPEN',
      firings: 3,
      startAt: new Date(T0 + WINDOW_MS),
      endAt: new Date(T0 + 4 * WINDOW_MS),
      confidence: 0.9,
    });
    expect(await evidenceOf(reviewIncident!.id)).toEqual({
      windowIds: windowIds.slice(1, 4),
      analysisIds: analysisIds.slice(1, 4),
    });
    // The first window's frame and the later windows' middle frames: one frame per window here.
    expect(reviewIncident!.keyframeIds).toHaveLength(3);
    const items = await db.reviewItem.findMany({ where: { streamId } });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      incidentId: reviewIncident!.id,
      queue: 'lawn',
      priority: 70,
      status: 'OPEN',
    });
    // Deadlines from the tenant's "lawn" queue (42 s to claim).
    expect(items[0]!.claimDueAt!.getTime() - items[0]!.createdAt.getTime()).toBeGreaterThan(40_000);
    expect(items[0]!.claimDueAt!.getTime() - items[0]!.createdAt.getTime()).toBeLessThan(44_000);

    const appears = await incidentsOf(rules.appears!);
    expect(appears).toHaveLength(1);
    expect((await evidenceOf(appears[0]!.id)).windowIds).toEqual([windowIds[1]]);
    const alerts = await db.alert.findMany({ where: { streamId } });
    expect(alerts.map((alert) => alert.ruleId).sort()).toEqual([rules.appears, rules.alertEach].sort());
    expect((await evidenceOf((await incidentsOf(rules.alertEach!))[0]!.id)).windowIds).toEqual(
      windowIds.slice(1, 4),
    );

    const itemEvents = (await eventsSince(api.redis, TOPICS.reviewItems(a.tenantId), '0')).map(
      (e) => e.payload,
    );
    expect(itemEvents).toEqual([
      expect.objectContaining({ type: 'added', reviewItemId: items[0]!.id, queue: 'lawn' }),
    ]);
    const alertEvents = await eventsSince(api.redis, TOPICS.alerts(a.tenantId), '0');
    expect(alertEvents).toHaveLength(2);
    expect(await db.analysis.count({ where: { streamId, rulesEvaluatedAt: null } })).toBe(0);
  });

  it('opens a second incident once the cooldown has passed without a firing', async () => {
    for (let index = 4; index <= 9; index += 1) await runner.run(a.tenantId, await analysed(index, empty));
    const report = await runner.run(a.tenantId, await analysed(10, person));
    expect(
      report.fired
        .filter((firing) => firing.opened)
        .map((firing) => firing.ruleId)
        .sort(),
    ).toEqual([rules.review, rules.appears, rules.alertEach].sort());
    const review = await incidentsOf(rules.review!);
    expect(
      await Promise.all(
        review.map(async (incident) => [
          incident.status,
          incident.closeReason,
          (await evidenceOf(incident.id)).windowIds,
        ]),
      ),
    ).toEqual([
      ['CLOSED', 'superseded', windowIds.slice(1, 4)],
      ['OPEN', null, [windowIds[10]]],
    ]);
    expect(await db.reviewItem.count({ where: { streamId } })).toBe(2);
    expect(await db.alert.count({ where: { streamId } })).toBe(4);
  });

  it('rebuilds the stream history from PostgreSQL after the Redis key is lost, with the same decisions', async () => {
    await api.redis.del(historyKey(a.tenantId, streamId));
    // A person in window 10 too: with its history rebuilt, "appears" must not fire again.
    const report = await runner.run(a.tenantId, await analysed(11, person));
    expect(report.fired.map((firing) => firing.ruleId).sort()).toEqual(
      [rules.review, rules.alertEach].sort(),
    );
    expect(report.fired.every((firing) => !firing.opened)).toBe(true);
    expect(await api.redis.zcard(historyKey(a.tenantId, streamId))).toBe(12);
  });

  it('makes nothing twice when the same analysis is evaluated again', async () => {
    const before = await db.incident.findMany({ where: { streamId }, orderBy: { id: 'asc' } });
    expect((await runner.run(a.tenantId, analysisIds[11]!)).status).toBe('SKIPPED');
    // A job that crashed after its firings committed, before it marked the analysis: re-run in full.
    await db.analysis.update({ where: { id: analysisIds[11]! }, data: { rulesEvaluatedAt: null } });
    const again = await runner.run(a.tenantId, analysisIds[11]!);
    expect(again.fired).toEqual([]);
    expect(await db.incident.findMany({ where: { streamId }, orderBy: { id: 'asc' } })).toEqual(
      before.map((incident) => ({ ...incident, updatedAt: expect.any(Date) })),
    );
    expect(await db.reviewItem.count({ where: { streamId } })).toBe(2);
    expect(await db.alert.count({ where: { streamId } })).toBe(4);
  });

  it('runs from the rules queue once per analysis, however often it is queued', async () => {
    let queue: Queue<EvaluateRulesPayload> | undefined;
    let worker: JobWorkers | undefined;
    const connection: Redis = createRedis(api.config.REDIS_URL, { forWorkers: true, name: 'rules-test' });
    const jobs = testJobQueue(connection);
    try {
      queue = jobs.queue(QUEUES.rules);
      const analysisId = await analysed(12, person);
      await jobs.add('evaluateRules', { tenantId: a.tenantId, analysisId });
      await jobs.add('evaluateRules', { tenantId: a.tenantId, analysisId });
      worker = startJobWorkers(
        connection,
        { evaluateRules: evaluateRulesHandler(runner, api.prisma, logger) },
        { queues: [QUEUES.rules], prefix: jobs.prefix, logger },
      );
      await waitFor(
        async () => (await db.analysis.findUnique({ where: { id: analysisId } }))!.rulesEvaluatedAt !== null,
        10_000,
      );
      const review = await incidentsOf(rules.review!);
      expect((await evidenceOf(review.at(-1)!.id)).analysisIds).toEqual([
        analysisIds[10],
        analysisIds[11],
        analysisId,
      ]);
      expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });
    } finally {
      await worker?.close();
      await queue?.obliterate({ force: true });
      await jobs.close();
      await connection.quit();
    }
  });

  it('backtests a saved rule and a draft against the stream’s stored results', async () => {
    const saved = await api.services.incidents.backtest(db, a.tenantId, { ruleId: rules.appears, streamId });
    expect(saved.evaluated).toBe(13);
    expect(saved.firings.map((firing) => firing.windowId)).toEqual([windowIds[1], windowIds[10]]);
    expect(saved.incidents).toBe(2);

    const draft = await api.services.incidents.backtest(db, a.tenantId, {
      streamId,
      draft: { condition: { object: { label: 'person' } }, action: { type: 'review' }, cooldownSeconds: 60 },
      from: new Date(T0 + 3 * WINDOW_MS),
    });
    expect(draft.firings.map((firing) => firing.windowId)).toEqual([
      windowIds[2],
      windowIds[3],
      windowIds[10],
      windowIds[11],
      windowIds[12],
    ]);
    expect(draft.firings.map((firing) => firing.opensIncident)).toEqual([true, false, true, false, false]);
    expect(draft.incidents).toBe(2);
  });

  it('backtests event rules over stored results that carry events: each event fires once', async () => {
    const admin = {
      kind: 'user' as const,
      id: a.userIds.ADMIN,
      tenantId: a.tenantId,
      role: 'ADMIN' as const,
      isPlatformAdmin: false,
    };
    const walkway = (
      await api.services.streams.create(db, admin, {
        name: 'Walkway and lawn',
        sourceUrl: 'rtsp://camera.example.net/walkway',
        templateId: a.ids.templateId,
        start: false,
      })
    ).id;
    const at = (index: number) => new Date(T0 + index * WINDOW_MS).toISOString();
    const event = (index: number, type: string, zone: string, trackIds: number[], parts: object = {}) => ({
      id: `${type}:${zone}:${trackIds.join('-')}:${index}`,
      type,
      label: 'person',
      trackIds,
      zone,
      start: at(index),
      end: at(index),
      severity: 'medium',
      evidence: [at(index)],
      ...parts,
    });
    const onLawn = (seconds: number) => ({
      id: 4,
      label: 'person',
      firstSeen: at(1),
      lastSeen: at(2),
      zones: ['Lawn'],
      maxSpeed: 0.4,
      dwellSeconds: { Lawn: seconds },
    });
    // Track 4 enters the lawn in window 1 and is still there in window 2 (a track, no new event);
    // a crowd forms on the walkway in window 3; tracks 6 and 7 enter the lawn in window 4.
    const streamWindows = [
      { ...person },
      { ...person, events: [event(1, 'enter', 'Lawn', [4])], tracks: [onLawn(5)] },
      { ...person, tracks: [onLawn(15)] },
      {
        ...person,
        events: [event(3, 'enter', 'Walkway', [5]), event(3, 'crowd', 'Walkway', [1, 2, 3, 5], { count: 4 })],
      },
      { ...person, events: [event(4, 'enter', 'Lawn', [6]), event(4, 'enter', 'Lawn', [7])] },
    ];
    const ids: string[] = [];
    for (const [index, result] of streamWindows.entries()) {
      await analysed(index, result, walkway);
      ids.push((await db.window.findFirstOrThrow({ where: { streamId: walkway, index } })).id);
    }
    const fired = async (condition: object) =>
      (
        await api.services.incidents.backtest(db, a.tenantId, {
          streamId: walkway,
          draft: { condition, action: { type: 'review' }, cooldownSeconds: 0 },
        })
      ).firings.map((firing) => ids.indexOf(firing.windowId));

    expect(await fired({ event: { type: 'enter', zone: ' lawn', label: 'person' } })).toEqual([1, 4]);
    expect(await fired({ event: { type: 'enter', zone: 'Lawn', minCount: 2 } })).toEqual([4]);
    expect(await fired({ event: { type: 'crowd', zone: 'walkway', minCount: 4 } })).toEqual([3]);
    expect(await fired({ event: { type: 'crowd', zone: 'walkway', minCount: 5 } })).toEqual([]);
    expect(
      await fired({
        occurs: { when: { event: { type: 'enter', zone: 'lawn' } }, times: 2, withinSeconds: 60 },
      }),
    ).toEqual([4]);
    expect(await fired({ track: { zone: 'lawn', minDwellSeconds: 10 } })).toEqual([2]);

    // A saved rule on an event backtests the same way, with its matched path.
    const saved = await api.services.rules.create(db, admin, {
      name: 'Crowd on the walkway',
      condition: { all: [{ event: { type: 'crowd', zone: 'Walkway' } }, { object: { label: 'person' } }] },
      action: { type: 'alert' },
      enabled: false,
    });
    const outcome = await api.services.incidents.backtest(db, a.tenantId, {
      ruleId: saved.id,
      streamId: walkway,
    });
    expect(outcome.evaluated).toBe(5);
    expect(outcome.firings.map((firing) => [ids.indexOf(firing.windowId), firing.matchedPaths])).toEqual([
      [3, ['condition.all.0.event', 'condition.all.1.object']],
    ]);
  });

  it('serves incidents with their evidence and refuses other tenants’ ids', async () => {
    const [incident] = await incidentsOf(rules.review!);
    const query = `query($id: ID!, $after: String) { incident(incidentId: $id) { id firings keyframes { id url }
      evidence(first: 2, after: $after) { edges { node { windowId window { id } analysis { id } } } pageInfo { hasNextPage endCursor } } } }`;
    type Page = {
      incident: {
        firings: number;
        keyframes: { id: string; url: string }[];
        evidence: {
          edges: { node: { windowId: string; window: { id: string }; analysis: { id: string } } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string };
        };
      };
    };
    const own = await api.gql<Page>(query, { id: incident!.id }, a.sessions.MODERATOR);
    expect(own.errors).toBeUndefined();
    expect(own.data!.incident).toMatchObject({ firings: 3 });
    expect(own.data!.incident.keyframes).toHaveLength(3);
    // Every firing is reachable a page at a time, with its window and analysis.
    const firstPage = own.data!.incident.evidence;
    expect(firstPage.edges).toHaveLength(2);
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const next = await api.gql<Page>(
      query,
      { id: incident!.id, after: firstPage.pageInfo.endCursor },
      a.sessions.MODERATOR,
    );
    const pages = [...firstPage.edges, ...next.data!.incident.evidence.edges].map((edge) => edge.node);
    expect(next.data!.incident.evidence.pageInfo.hasNextPage).toBe(false);
    expect(pages.map((node) => node.window.id)).toEqual(windowIds.slice(1, 4));
    expect(pages.every((node) => node.analysis.id && node.windowId === node.window.id)).toBe(true);

    const list = await api.gql<{ incidents: { edges: unknown[] } }>(
      `query($s: ID) { incidents(streamId: $s, status: OPEN, first: 50) { edges { node { id } } } }`,
      { s: streamId },
      a.apiKeys.AUDITOR,
    );
    expect(list.data!.incidents.edges).toHaveLength(3);

    expect(errorCodes(await api.gql(query, { id: b.ids.incidentId }, a.sessions.ADMIN))).toEqual([
      'NOT_FOUND',
    ]);
    const backtest = `query($input: BacktestRuleInput!) { backtestRule(input: $input) { incidents } }`;
    expect(
      errorCodes(
        await api.gql(
          backtest,
          { input: { ruleId: rules.appears, streamId: b.ids.streamId } },
          a.sessions.ADMIN,
        ),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(await api.gql(backtest, { input: { ruleId: b.ids.ruleId, streamId } }, a.sessions.ADMIN)),
    ).toEqual(['NOT_FOUND']);
    expect(
      errorCodes(
        await api.gql(backtest, { input: { ruleId: rules.appears, streamId } }, a.sessions.MODERATOR),
      ),
    ).toEqual(['FORBIDDEN']);
  });
});
