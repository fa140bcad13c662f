import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { publishEvent } from '../src/pubsub/event-bus';
import { AlertMessage, ReviewItemMessage, TOPICS } from '../src/pubsub/topics';
import { startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';
import { Collected, PROTOCOL, rawConnect, subscribe, wsUrl } from './support/graphql-ws-client';

/**
 * GraphQL subscriptions over graphql-ws on the API's port: authentication in connection_init,
 * roles and tenancy, delivery from Redis across API processes, replay by cursor, slow subscribers
 * dropped (4008) without slowing others, revoked keys disconnected (4403).
 */
const reviewEvent = (queue: string, reviewItemId: string): ReviewItemMessage => ({
  type: 'added',
  reviewItemId,
  incidentId: '00000000-0000-0000-0000-000000000001',
  streamId: '00000000-0000-0000-0000-000000000002',
  queue,
  status: 'OPEN',
  priority: 2,
  assigneeId: null,
  claimDueAt: '2026-11-21T12:05:00.000Z',
  decideDueAt: '2026-11-21T12:15:00.000Z',
  claimExpiresAt: null,
  claimedAt: null,
  assigneeApiKeyId: null,
  summary: 'Person on the lawn: person #3 crossed onto the lawn',
  severity: 'high',
  streamName: 'Front lawn',
  streamLive: true,
});

const alertEvent = (n: number, message = `alert ${n}`): AlertMessage => ({
  alertId: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
  incidentId: '00000000-0000-0000-0000-000000000001',
  streamId: '00000000-0000-0000-0000-000000000002',
  ruleId: '00000000-0000-0000-0000-000000000003',
  severity: 'HIGH',
  message,
});

/** A cursor to subscribe `after`, so nothing published from now on can be missed. */
const mark = (api: TestApi, channel: string): Promise<string> =>
  publishEvent(api.redis, channel, { marker: true });

describe('GraphQL subscriptions', () => {
  let api: TestApi;
  let second: TestApi;
  let tenant: TenantFixture;
  let other: TenantFixture;
  const clients: Client[] = [];
  const track = <T>(collected: Collected<T>): Collected<T> => {
    clients.push(collected.client);
    return collected;
  };

  beforeAll(async () => {
    api = await startTestApi();
    second = await startTestApi();
    tenant = await createTenantFixture(api, 'subs');
    other = await createTenantFixture(api, 'subs-other');
  }, 60_000);
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(async () => {
    await api.stop();
    await second.stop();
  });

  it('refuses a connection without a credential or with a bad one (4401)', async () => {
    expect(await rawConnect(api, undefined)).toBe(4401);
    expect(await rawConnect(api, { authorization: 'Bearer vgk_nope_nope' })).toBe(4401);
    expect(await rawConnect(api, { authorization: 'Bearer not-a-token' })).toBe(4401);
  });

  it('delivers reviewQueue events of the chosen queue only, with cursors', async () => {
    const channel = TOPICS.reviewItems(tenant.tenantId);
    const after = await mark(api, channel);
    const sub = track(
      subscribe<{ cursor: string; reviewItemId: string; queue: string; type: string }>(
        api,
        tenant.sessions.MODERATOR,
        'subscription($after: String) { reviewQueue(queue: "urgent", after: $after) { cursor type reviewItemId queue priority assigneeId claimDueAt claimExpiresAt } }',
        { after },
      ),
    );
    const first = await publishEvent(api.redis, channel, reviewEvent('other', 'r-0'));
    const second_ = await publishEvent(api.redis, channel, reviewEvent('urgent', 'r-1'));
    await waitFor(() => sub.events.length >= 1, 5_000);
    expect(sub.errors).toEqual([]);
    expect(sub.events).toEqual([
      {
        cursor: second_,
        type: 'added',
        reviewItemId: 'r-1',
        queue: 'urgent',
        priority: 2,
        assigneeId: null,
        claimDueAt: '2026-11-21T12:05:00.000Z',
        claimExpiresAt: null,
      },
    ]);
    expect(first < second_).toBe(true);
  });

  it('delivers reviewQueue events of every queue when no queue is named', async () => {
    const channel = TOPICS.reviewItems(tenant.tenantId);
    const after = await mark(api, channel);
    const sub = track(
      subscribe<{ reviewItemId: string; queue: string }>(
        api,
        tenant.sessions.MODERATOR,
        'subscription($after: String) { reviewQueue(after: $after) { reviewItemId queue } }',
        { after },
      ),
    );
    await publishEvent(api.redis, channel, reviewEvent('other', 'r-a'));
    await publishEvent(api.redis, channel, reviewEvent('urgent', 'r-b'));
    await waitFor(() => sub.events.length >= 2, 5_000);
    expect(sub.errors).toEqual([]);
    expect(sub.events).toEqual([
      { reviewItemId: 'r-a', queue: 'other' },
      { reviewItemId: 'r-b', queue: 'urgent' },
    ]);
  });

  it('delivers alerts, streamStatus, analysisCompleted and analysisReasoning', async () => {
    const t = tenant.tenantId;
    const streamId = tenant.ids.streamId;
    const [alertsAfter, statusAfter, analysesAfter] = await Promise.all([
      mark(api, TOPICS.alerts(t)),
      mark(api, TOPICS.streamStatus(t)),
      mark(api, TOPICS.analysesFinished(t)),
    ]);
    const alerts = track(
      subscribe(
        api,
        tenant.apiKeys.ADMIN,
        'subscription($a: String) { alerts(after: $a) { cursor alertId message } }',
        {
          a: alertsAfter,
        },
      ),
    );
    const status = track(
      subscribe(
        api,
        tenant.apiKeys.AUDITOR,
        'subscription($s: ID!, $a: String) { streamStatus(streamId: $s, after: $a) { cursor streamId status lastError } }',
        { s: streamId, a: statusAfter },
      ),
    );
    const completed = track(
      subscribe(
        api,
        tenant.sessions.MODERATOR,
        'subscription($s: ID!, $a: String) { analysisCompleted(streamId: $s, after: $a) { cursor analysisId status mode } }',
        { s: streamId, a: analysesAfter },
      ),
    );
    const reasoningChannel = TOPICS.analysisReasoning(t, tenant.ids.analysisId);
    const reasoning = track(
      subscribe(
        api,
        tenant.sessions.AUDITOR,
        'subscription($id: ID!) { analysisReasoning(analysisId: $id) { type analysisId attempt node text status } }',
        { id: tenant.ids.analysisId },
      ),
    );
    await waitFor(async () => Number((await api.redis.pubsub('NUMSUB', reasoningChannel))[1]) > 0, 5_000);

    await publishEvent(api.redis, TOPICS.alerts(t), alertEvent(1));
    // A stream status change through the API publishes itself.
    const started = await api.gql(
      'mutation($id: ID!) { startStream(streamId: $id) { status } }',
      { id: streamId },
      tenant.sessions.ADMIN,
    );
    expect(started.errors).toBeUndefined();
    await publishEvent(api.redis, TOPICS.analysesFinished(t), {
      analysisId: tenant.ids.analysisId,
      windowId: tenant.ids.windowId,
      streamId,
      status: 'DONE',
      mode: 'VLM',
    });
    await publishEvent(api.redis, TOPICS.analysesFinished(t), {
      analysisId: 'x',
      windowId: 'y',
      streamId: other.ids.streamId,
      status: 'DONE',
      mode: 'VLM',
    });
    await api.redis.publish(
      reasoningChannel,
      JSON.stringify({ type: 'delta', analysisId: tenant.ids.analysisId, attempt: 1, text: 'A person' }),
    );

    await waitFor(
      () =>
        alerts.events.length >= 1 &&
        status.events.length >= 1 &&
        completed.events.length >= 1 &&
        reasoning.events.length >= 1,
      5_000,
    );
    for (const sub of [alerts, status, completed, reasoning]) expect(sub.errors).toEqual([]);
    expect(alerts.events).toEqual([
      expect.objectContaining({ message: 'alert 1', cursor: expect.any(String) }),
    ]);
    expect(status.events).toEqual([
      expect.objectContaining({ streamId, status: 'ACTIVE', lastError: null, cursor: expect.any(String) }),
    ]);
    expect(completed.events).toEqual([
      expect.objectContaining({ analysisId: tenant.ids.analysisId, status: 'DONE', mode: 'VLM' }),
    ]);
    expect(reasoning.events).toEqual([
      {
        type: 'delta',
        analysisId: tenant.ids.analysisId,
        attempt: 1,
        node: null,
        text: 'A person',
        status: null,
      },
    ]);
  });

  it('delivers every reasoning delta of an analysis in order, then its end', async () => {
    const channel = TOPICS.analysisReasoning(tenant.tenantId, tenant.ids.analysisId);
    const reasoning = track(
      subscribe<{ type: string; text: string | null }>(
        api,
        tenant.sessions.MODERATOR,
        'subscription($a: ID!) { analysisReasoning(analysisId: $a) { type text } }',
        { a: tenant.ids.analysisId },
      ),
    );
    const publish = (message: Record<string, unknown>) =>
      api.redis.publish(channel, JSON.stringify({ analysisId: tenant.ids.analysisId, ...message }));
    // Live only, no replay: probe until this subscription hears the channel (an earlier test's
    // subscription to the same analysis may already hold the Redis channel open).
    await waitFor(async () => {
      await publish({ type: 'delta', attempt: 1, text: 'probe' });
      return reasoning.events.length > 0;
    }, 10_000);
    const words = ['The', ' person', ' climbs', ' the', ' fence', '.'];
    for (const text of words) await publish({ type: 'delta', attempt: 1, text });
    await publish({ type: 'end', status: 'finished' });
    await waitFor(() => reasoning.events.some((event) => event.type === 'end'), 10_000);
    expect(reasoning.errors).toEqual([]);
    const afterProbes = reasoning.events.slice(
      reasoning.events.map((event) => event.text).lastIndexOf('probe') + 1,
    );
    expect(afterProbes).toEqual([
      ...words.map((text) => ({ type: 'delta', text })),
      { type: 'end', text: null },
    ]);
  }, 20_000);

  it("refuses another tenant's ids (NOT_FOUND) and a role without the permission (FORBIDDEN)", async () => {
    const crossStream = track(
      subscribe(
        api,
        tenant.sessions.ADMIN,
        'subscription($s: ID!) { streamStatus(streamId: $s) { status } }',
        {
          s: other.ids.streamId,
        },
      ),
    );
    const crossCompleted = track(
      subscribe(
        api,
        tenant.sessions.ADMIN,
        'subscription($s: ID!) { analysisCompleted(streamId: $s) { status } }',
        {
          s: other.ids.streamId,
        },
      ),
    );
    const crossReasoning = track(
      subscribe(
        api,
        tenant.sessions.ADMIN,
        'subscription($id: ID!) { analysisReasoning(analysisId: $id) { text } }',
        {
          id: other.ids.analysisId,
        },
      ),
    );
    const auditorQueue = track(
      subscribe(api, tenant.sessions.AUDITOR, 'subscription { reviewQueue(queue: "urgent") { cursor } }'),
    );
    const auditorAlerts = track(subscribe(api, tenant.apiKeys.AUDITOR, 'subscription { alerts { cursor } }'));
    const query = track(subscribe(api, tenant.sessions.ADMIN, '{ myTenant { id } }'));
    await waitFor(
      () =>
        [crossStream, crossCompleted, crossReasoning, auditorQueue, auditorAlerts, query].every(
          (s) => s.errors.length > 0,
        ),
      5_000,
    );
    for (const sub of [crossStream, crossCompleted, crossReasoning])
      expect(sub.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    for (const sub of [auditorQueue, auditorAlerts])
      expect(sub.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(query.errors.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('applies the HTTP depth and token limits to subscriptions', async () => {
    const tooLong = track(
      subscribe(
        api,
        tenant.sessions.ADMIN,
        `subscription { alerts { ${Array.from({ length: 2000 }, () => 'cursor').join(' ')} } }`,
      ),
    );
    await waitFor(() => tooLong.errors.length > 0, 5_000);
    expect(tooLong.errors[0]!.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('two API processes both deliver an event published once', async () => {
    const channel = TOPICS.alerts(tenant.tenantId);
    const after = await mark(api, channel);
    const q = 'subscription($a: String) { alerts(after: $a) { cursor alertId } }';
    const onFirst = track(subscribe(api, tenant.sessions.MODERATOR, q, { a: after }));
    const onSecond = track(subscribe(second, tenant.sessions.MODERATOR, q, { a: after }));
    const cursor = await publishEvent(api.redis, channel, alertEvent(7));
    await waitFor(() => onFirst.events.length >= 1 && onSecond.events.length >= 1, 5_000);
    expect(onFirst.events).toEqual([{ cursor, alertId: alertEvent(7).alertId }]);
    expect(onSecond.events).toEqual(onFirst.events);
  });

  it('replays what a reconnecting client missed after its cursor, then continues live without gaps or duplicates', async () => {
    const channel = TOPICS.alerts(tenant.tenantId);
    const before = await mark(api, channel);
    const missed: string[] = [];
    for (let n = 0; n < 5; n++) missed.push(await publishEvent(api.redis, channel, alertEvent(100 + n)));
    const sub = track(
      subscribe<{ cursor: string }>(
        api,
        tenant.sessions.ADMIN,
        'subscription($a: String) { alerts(after: $a) { cursor } }',
        {
          a: missed[1],
        },
      ),
    );
    // Published while the replay may still be running.
    const live: string[] = [];
    for (let n = 0; n < 5; n++) live.push(await publishEvent(api.redis, channel, alertEvent(200 + n)));
    await waitFor(() => sub.events.length >= 8, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sub.events.map((e) => e.cursor)).toEqual([...missed.slice(2), ...live]);
    expect(before < missed[0]!).toBe(true);
  });

  it('drops a subscriber that does not read (4008) while another receives every event on time', async () => {
    const channel = TOPICS.alerts(tenant.tenantId);
    const after = await mark(api, channel);
    const fast = track(
      subscribe<{ alertId: string }>(
        api,
        tenant.sessions.ADMIN,
        'subscription($a: String) { alerts(after: $a) { alertId message } }',
        { a: after },
      ),
    );
    // A raw client that subscribes, then stops reading its socket.
    const slow = new WebSocket(wsUrl(api), PROTOCOL);
    const slowClosed = new Promise<number>((resolve) => slow.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      slow.on('open', () =>
        slow.send(
          JSON.stringify({
            type: 'connection_init',
            payload: { authorization: `Bearer ${tenant.sessions.ADMIN}` },
          }),
        ),
      );
      slow.on('message', (data) => {
        if (JSON.parse(String(data)).type !== 'connection_ack') return;
        slow.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: {
              query: 'subscription($a: String) { alerts(after: $a) { alertId message } }',
              variables: { a: after },
            },
          }),
        );
        resolve();
      });
    });
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();

    const count = 1500;
    const big = 'x'.repeat(16 * 1024);
    const began = Date.now();
    for (let n = 0; n < count; n++) await publishEvent(api.redis, channel, alertEvent(1000 + n, big));
    await waitFor(() => fast.events.length >= count, 30_000);
    const took = Date.now() - began;
    expect(fast.errors).toEqual([]);
    expect(fast.events).toHaveLength(count);
    expect(took).toBeLessThan(20_000);
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await slowClosed).toBe(4008);
  }, 60_000);

  it('disconnects a socket whose API key is revoked (4403)', async () => {
    const key = await api.services.apiKeys.create(
      // The fixture's admin creates and revokes a key of its own.
      tenantDb(api.prisma, tenant.tenantId),
      { kind: 'user', id: tenant.userIds.ADMIN, tenantId: tenant.tenantId },
      { name: 'soon revoked', role: 'MODERATOR' },
    );
    const channel = TOPICS.alerts(tenant.tenantId);
    const after = await mark(api, channel);
    const sub = track(
      subscribe(second, key.secret, 'subscription($a: String) { alerts(after: $a) { cursor } }', {
        a: after,
      }),
    );
    await publishEvent(api.redis, channel, alertEvent(9));
    await waitFor(() => sub.events.length >= 1, 5_000);
    const revoked = await api.gql(
      'mutation($id: ID!) { revokeApiKey(apiKeyId: $id) { revokedAt } }',
      { id: key.apiKey.id },
      tenant.sessions.ADMIN,
    );
    expect(revoked.errors).toBeUndefined();
    await waitFor(() => sub.closedCode !== undefined, 5_000);
    expect(sub.closedCode).toBe(4403);
    expect(await rawConnect(second, { authorization: `Bearer ${key.secret}` })).toBe(4401);
  });
});
