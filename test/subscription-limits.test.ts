import { once } from 'node:events';
import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { publishEvent } from '../src/pubsub/event-bus';
import { AlertMessage, TOPICS } from '../src/pubsub/topics';
import { startTestApi, TestApi } from './support/api-harness';
import { bystanderLatency } from './support/bystander-latency';
import { connect, Connection, PROTOCOL, Received, subscribeOn, wsUrl } from './support/graphql-ws-client';
import { createTenantFixture, PASSWORD, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';

/**
 * Subscriptions cannot be used to stall the API: each connection and each credential holds a
 * bounded number of them, a subscribe and its replay are counted against the credential's rate
 * limit, a replay is capped, and another tenant's requests stay quick while one tenant floods.
 */
const ALERTS = 'subscription($a: String) { alerts(after: $a) { cursor alertId message } }';

const alertEvent = (n: number): AlertMessage => ({
  alertId: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
  incidentId: '00000000-0000-0000-0000-000000000001',
  streamId: '00000000-0000-0000-0000-000000000002',
  ruleId: '00000000-0000-0000-0000-000000000003',
  severity: 'HIGH',
  message: `alert ${n} ${'x'.repeat(200)}`,
});

/** Publishes `count` alerts; returns their cursors, oldest first. */
async function publishAlerts(api: TestApi, tenantId: string, count: number): Promise<string[]> {
  const cursors: string[] = [];
  for (let n = 0; n < count; n++)
    cursors.push(await publishEvent(api.redis, TOPICS.alerts(tenantId), alertEvent(n)));
  return cursors;
}

/** A cursor to subscribe `after`, so that nothing published from now on is missed. */
const mark = (api: TestApi, tenantId: string): Promise<string> =>
  publishEvent(api.redis, TOPICS.alerts(tenantId), alertEvent(0));

const settled = (received: Received<unknown>, events = 0): boolean =>
  received.errors.length > 0 || received.ended || received.events.length >= events;

const codes = (all: Received<unknown>[]): string[] =>
  all.flatMap((r) => r.errors.map((e) => `${e.extensions?.code}/${e.extensions?.reason}`));

describe('subscription limits', () => {
  let api: TestApi;
  let tenant: TenantFixture;
  let other: TenantFixture;
  const connections: Client[] = [];
  const open = (target: TestApi, credential: string): Connection => {
    const connection = connect(target, credential);
    connections.push(connection.client);
    return connection;
  };

  beforeAll(async () => {
    api = await startTestApi({
      SUBSCRIPTIONS_PER_CONNECTION: '5',
      SUBSCRIPTIONS_PER_CREDENTIAL: '8',
      SUBSCRIPTION_REPLAY_LIMIT: '40',
    });
    tenant = await createTenantFixture(api, 'sublim');
    other = await createTenantFixture(api, 'sublim-other');
  }, 60_000);
  afterEach(async () => {
    await Promise.allSettled(connections.splice(0).map((client) => client.dispose()));
  });
  afterAll(async () => {
    await api.stop();
  });

  it('refuses variables nested too deep with BAD_USER_INPUT/INPUT_TOO_DEEP, as over HTTP', async () => {
    const connection = open(api, tenant.sessions.MODERATOR);
    let nested: unknown = 'x';
    for (let n = 0; n < 1_000; n++) nested = [nested];
    const deep = subscribeOn(connection, ALERTS, { a: nested });
    await waitFor(() => deep.errors.length > 0 || deep.ended, 5_000);
    expect(deep.events).toEqual([]);
    expect(codes([deep])).toEqual(['BAD_USER_INPUT/INPUT_TOO_DEEP']);
    // The connection stays usable: a well-formed subscribe on it is admitted.
    const after = await mark(api, tenant.tenantId);
    const fine = subscribeOn(connection, ALERTS, { a: after });
    await publishAlerts(api, tenant.tenantId, 1);
    await waitFor(() => settled(fine, 1), 5_000);
    expect(fine.errors).toEqual([]);
    expect(fine.events).toHaveLength(1);
  });

  it('holds at most SUBSCRIPTIONS_PER_CONNECTION on one connection', async () => {
    const connection = open(api, tenant.sessions.ADMIN);
    const after = await mark(api, tenant.tenantId);
    const all = Array.from({ length: 7 }, () => subscribeOn(connection, ALERTS, { a: after }));
    await waitFor(() => all.filter((r) => r.errors.length > 0).length >= 2, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(codes(all)).toEqual(['RATE_LIMITED/SUBSCRIPTION_LIMIT', 'RATE_LIMITED/SUBSCRIPTION_LIMIT']);
    expect(all.filter((r) => r.errors.length > 0)[0]!.errors[0]!.message).toMatch(
      /5 subscriptions per connection/,
    );

    // The five that were accepted deliver; completing one lets another in.
    await publishEvent(api.redis, TOPICS.alerts(tenant.tenantId), alertEvent(1));
    const accepted = all.filter((r) => r.errors.length === 0);
    await waitFor(() => accepted.every((r) => r.events.length === 1), 5_000);
    expect(accepted).toHaveLength(5);
  });

  it('frees a slot when a subscription is completed by its client', async () => {
    const connection = open(api, tenant.sessions.ADMIN);
    const disposers: (() => void)[] = [];
    for (let n = 0; n < 5; n++)
      disposers.push(
        connection.client.subscribe(
          { query: ALERTS },
          { next: () => undefined, error: () => undefined, complete: () => undefined },
        ),
      );
    const refused = subscribeOn(connection, ALERTS);
    await waitFor(() => refused.errors.length > 0, 5_000);
    expect(refused.errors[0]!.extensions?.reason).toBe('SUBSCRIPTION_LIMIT');
    disposers[0]!();
    // The server hears the completion before the next subscribe on the same socket.
    const admitted = subscribeOn(connection, ALERTS, { a: await mark(api, tenant.tenantId) });
    await publishEvent(api.redis, TOPICS.alerts(tenant.tenantId), alertEvent(2));
    await waitFor(() => settled(admitted, 1), 5_000);
    expect(admitted.errors).toEqual([]);
    expect(admitted.events).toHaveLength(1);
  });

  it('gives a slot back as soon as its subscribe is completed, even while it is still being admitted', async () => {
    // A client that cancels five subscribes at once and sends five more: the server reads them all
    // before any admission (a credential check in Redis) is over. The five cancelled must not hold
    // their slots until their admissions end.
    const socket = new WebSocket(wsUrl(api), PROTOCOL);
    const messages: { id?: string; type: string }[] = [];
    socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as never));
    try {
      await once(socket, 'open');
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: { authorization: `Bearer ${tenant.sessions.ADMIN}` },
        }),
      );
      await waitFor(() => messages.some((m) => m.type === 'connection_ack'), 5_000);
      const after = await mark(api, tenant.tenantId);
      const subscribe = (id: string) =>
        JSON.stringify({ id, type: 'subscribe', payload: { query: ALERTS, variables: { a: after } } });
      const burst: string[] = [];
      for (let n = 1; n <= 5; n++)
        burst.push(subscribe(`gone-${n}`), JSON.stringify({ id: `gone-${n}`, type: 'complete' }));
      for (let n = 1; n <= 5; n++) burst.push(subscribe(`kept-${n}`));
      for (const message of burst) socket.send(message);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await publishEvent(api.redis, TOPICS.alerts(tenant.tenantId), alertEvent(5));
      const kept = (n: number) => `kept-${n}`;
      await waitFor(
        () => [1, 2, 3, 4, 5].every((n) => messages.some((m) => m.id === kept(n) && m.type !== 'complete')),
        5_000,
      );
      expect(messages.filter((m) => m.type === 'error')).toEqual([]);
      for (const n of [1, 2, 3, 4, 5])
        expect(messages.filter((m) => m.id === kept(n)).map((m) => m.type)).toEqual(['next']);
    } finally {
      socket.close();
    }
  });

  it('holds at most SUBSCRIPTIONS_PER_CREDENTIAL across connections; another credential is not affected', async () => {
    const all: Received<unknown>[] = [];
    for (let c = 0; c < 3; c++) {
      const connection = open(api, tenant.apiKeys.MODERATOR);
      for (let n = 0; n < 4; n++) all.push(subscribeOn(connection, ALERTS));
    }
    await waitFor(() => all.filter((r) => r.errors.length > 0).length >= 4, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(codes(all)).toEqual(Array(4).fill('RATE_LIMITED/SUBSCRIPTION_LIMIT'));
    expect(all.find((r) => r.errors.length > 0)!.errors[0]!.message).toMatch(
      /8 subscriptions per credential/,
    );

    const otherKey = subscribeOn(open(api, tenant.apiKeys.ADMIN), ALERTS, {
      a: await mark(api, tenant.tenantId),
    });
    const otherTenant = subscribeOn(open(api, other.apiKeys.MODERATOR), ALERTS, {
      a: await mark(api, other.tenantId),
    });
    await publishEvent(api.redis, TOPICS.alerts(tenant.tenantId), alertEvent(3));
    await publishEvent(api.redis, TOPICS.alerts(other.tenantId), alertEvent(4));
    await waitFor(() => settled(otherKey, 1) && settled(otherTenant, 1), 5_000);
    expect([...otherKey.errors, ...otherTenant.errors]).toEqual([]);
  });

  it('refuses a replay longer than SUBSCRIPTION_REPLAY_LIMIT with a typed error, and replays a shorter one in full', async () => {
    const cursors = await publishAlerts(api, tenant.tenantId, 60);
    const connection = open(api, tenant.sessions.ADMIN);
    const tooLong = subscribeOn<{ cursor: string }>(connection, ALERTS, { a: cursors[0] });
    const inFull = subscribeOn<{ cursor: string }>(connection, ALERTS, { a: cursors[19] });
    await waitFor(() => settled(tooLong) && settled(inFull, 40), 5_000);
    expect(tooLong.events).toEqual([]);
    expect(tooLong.errors.map((e) => e.extensions)).toEqual([
      { code: 'BAD_USER_INPUT', reason: 'REPLAY_TOO_LONG' },
    ]);
    expect(tooLong.errors[0]!.message).toMatch(/More than 40 events/);
    expect(inFull.errors).toEqual([]);
    expect(inFull.events.map((e) => e.cursor)).toEqual(cursors.slice(20));
  });

  it('counts each subscribe, and its replay, against the credential’s request rate', async () => {
    const limited = await startTestApi({
      RATE_LIMIT_SESSION_PER_MINUTE: '12',
      SUBSCRIPTION_REPLAY_LIMIT: '200',
    });
    try {
      const cursors = await publishAlerts(limited, tenant.tenantId, 100);
      // A session of its own: the budget is per session, and other tests here spend the fixture's.
      const { token } = await limited.services.auth.login(
        { tenantSlug: tenant.slug, email: `moderator@${tenant.slug}.test`, password: PASSWORD },
        '127.0.0.1',
      );
      // connection_init: 1 request. Each subscribe with a 99-event replay: 1 + 2 (50 events each).
      const connection = open(limited, token);
      const first = subscribeOn(connection, ALERTS, { a: cursors[0] });
      await waitFor(() => settled(first, 99), 5_000);
      const second = subscribeOn(connection, ALERTS, { a: cursors[0] });
      await waitFor(() => settled(second, 99), 5_000);
      const third = subscribeOn(connection, ALERTS, { a: cursors[0] });
      await waitFor(() => settled(third, 99), 5_000);
      expect([first.errors, second.errors, third.errors]).toEqual([[], [], []]);
      const fourth = subscribeOn(connection, ALERTS, { a: cursors[0] });
      await waitFor(() => settled(fourth, 99), 5_000);
      expect(fourth.events).toEqual([]);
      expect(fourth.errors.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
      // Rate limited HTTP too: the budget is the credential's, whatever the transport.
      const query = await limited.gql('{ me { id } }', {}, token);
      expect(query.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await limited.stop();
    }
  });
});

describe('a subscription flood by one tenant', () => {
  let api: TestApi;
  let flooder: TenantFixture;
  let bystander: TenantFixture;
  const connections: Client[] = [];

  beforeAll(async () => {
    // The defaults: the limits a deployment gets without configuring anything.
    api = await startTestApi();
    flooder = await createTenantFixture(api, 'flood');
    bystander = await createTenantFixture(api, 'flood-bystander');
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(connections.map((client) => client.dispose()));
    await api.stop();
  });

  it('leaves another tenant’s requests quick while 300 replaying subscriptions are attempted', async () => {
    const cursors = await publishAlerts(api, flooder.tenantId, 1_000);
    const floods: Received<{ cursor: string }>[] = [];
    const { latencies } = await bystanderLatency(api, bystander.apiKeys.AUDITOR, async () => {
      for (let c = 0; c < 15; c++) {
        const connection = connect(api, flooder.apiKeys.ADMIN);
        connections.push(connection.client);
        for (let n = 0; n < 20; n++)
          floods.push(subscribeOn(connection, ALERTS, { a: cursors[n % 2 === 0 ? 0 : 899] }));
      }
      await waitFor(() => floods.every((r) => settled(r, 100)), 60_000);
    });
    const { median, worst, count } = latencies;
    process.stdout.write(
      `bystander latency during the flood: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms over ${count} requests\n`,
    );
    // What keeps the bystander quick is asserted below as behaviour: the flood is cut to the
    // limits. Its latency is printed (before the limits: up to 14.7 s on one flooded API, 5.7 s in
    // this test; with them 0.4 s on an idle machine, 3 s with other test runs on its 2 cores, as the
    // flooding clients share this process's event loop with the API). The bound here only tells a
    // starved bystander from a slow machine.
    expect(worst).toBeLessThan(10_000);

    const replayed = floods.reduce((sum, r) => sum + r.events.length, 0);
    const accepted = floods.filter((r) => r.errors.length === 0);
    const refusals = new Set(codes(floods));
    expect(refusals).toEqual(new Set(['BAD_USER_INPUT/REPLAY_TOO_LONG', 'RATE_LIMITED/SUBSCRIPTION_LIMIT']));
    expect(accepted.length).toBeLessThanOrEqual(100);
    expect(accepted.every((r) => r.events.length === 100)).toBe(true);
    expect(replayed).toBeLessThanOrEqual(100 * 100);
  }, 120_000);
});
