import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Redis from 'ioredis';
import type { Agent } from 'undici';
import { openSecret } from '../src/auth/secret-box';
import { loadConfig } from '../src/config/config';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { createRedis } from '../src/redis/redis-client';
import pino from 'pino';
import type { BullJobQueue } from '../src/jobs/bullmq-job-queue';
import { QUEUES } from '../src/jobs/job-registry';
import { recordWebhookEvent } from '../src/webhooks/webhook-events';
import { createWebhookAgent, deliverWebhook } from '../src/webhooks/webhook-sender';
import { deliverWebhookHandler } from '../src/workers/deliver-webhook.processor';
import { type JobWorkers, startJobWorkers } from '../src/workers/job-workers';
import { verifyWebhook } from '../src/webhooks/webhook-signature';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { testJobQueue } from './support/test-jobs';
import { waitFor } from './support/wait-for';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
}

/** A partner's endpoint on 127.0.0.1: records what it gets, answers as told. */
class Receiver {
  readonly received: Received[] = [];
  status = 200;
  delayMs = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          path: request.url ?? '',
        });
        const answer = () => {
          if (!response.destroyed) response.writeHead(this.status).end('ok');
        };
        if (this.delayMs) setTimeout(answer, this.delayMs);
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  to(path: string): Received[] {
    return this.received.filter((entry) => entry.path === path);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const KEY = 'webhook-test-key';
const MAX_ATTEMPTS = 3;

interface CreatedEndpoint {
  createWebhookEndpoint: { secret: string; webhookEndpoint: { id: string; url: string; events: string[] } };
}

const CREATE = `mutation($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret webhookEndpoint { id url events enabled } }
}`;

describe('webhooks (real receiver, BullMQ on Redis)', () => {
  let api: TestApi;
  let strictApi: TestApi;
  let tenant: TenantFixture;
  let receiver: Receiver;
  let connection: Redis;
  let queue: BullJobQueue;
  let worker: JobWorkers;
  let agent: Agent;
  const policy = { attempts: MAX_ATTEMPTS, backoffMs: 50 };

  beforeAll(async () => {
    const env = {
      WEBHOOK_SECRET_KEY: KEY,
      WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      WEBHOOK_BACKOFF_MS: '50',
      WEBHOOK_TIMEOUT_MS: '400',
    };
    strictApi = await startTestApi({ ...env, WEBHOOK_ALLOW_PRIVATE_URLS: 'false' });
    api = await startTestApi({ ...env, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    tenant = await createTenantFixture(api, 'hooks');
    receiver = new Receiver();
    await receiver.start();
    connection = createRedis(loadConfig().REDIS_URL, { forWorkers: true, name: 'vigil-test-webhooks' });
    // The API's own queue (GraphQL retries) and this one must reach the same worker: no prefix.
    queue = testJobQueue(connection, {
      prefix: null,
      settings: { WEBHOOK_MAX_ATTEMPTS: policy.attempts, WEBHOOK_BACKOFF_MS: policy.backoffMs },
    });
    agent = createWebhookAgent(api.config);
    const logger = pino({ level: 'silent' });
    worker = startJobWorkers(
      connection,
      { deliverWebhook: deliverWebhookHandler({ prisma: api.prisma, config: api.config, agent }, logger) },
      { queues: [QUEUES.webhooks], prefix: queue.prefix, logger },
    );
  }, 60_000);

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await agent.close();
    await receiver.stop();
    await connection.quit();
    await Promise.all([api.stop(), strictApi.stop()]);
  });

  const db = () => tenantDb(api.prisma, tenant.tenantId);

  // Every test starts with no endpoint listening, so earlier tests' endpoints receive nothing new.
  beforeEach(async () => {
    if (tenant) await db().webhookEndpoint.updateMany({ data: { enabled: false } });
  });

  async function createEndpoint(path: string, events: string[] = []) {
    const response = await api.gql<CreatedEndpoint>(
      CREATE,
      { input: { url: `${receiver.url}${path}`, events } },
      tenant.sessions.ADMIN,
    );
    expect(response.errors).toBeUndefined();
    return response.data!.createWebhookEndpoint;
  }

  const record = (event: string, eventKey: string, payload: object = { streamId: tenant.ids.streamId }) =>
    recordWebhookEvent(api.prisma, queue, tenant.tenantId, event, eventKey, payload);

  async function deliveryOf(endpointId: string, eventKey: string) {
    return db().webhookDelivery.findFirstOrThrow({ where: { endpointId, eventKey } });
  }

  it('shows the signing secret once, stores it sealed and audits the change without it', async () => {
    const created = await createEndpoint('/secret', ['stream.stopped', 'incident.opened', 'stream.stopped']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.webhookEndpoint.events).toEqual(['incident.opened', 'stream.stopped']);

    const row = await db().webhookEndpoint.findUniqueOrThrow({ where: { id: created.webhookEndpoint.id } });
    expect(row.secretEncrypted).not.toContain(created.secret);
    expect(openSecret(row.secretEncrypted, KEY)).toBe(created.secret);

    const listed = await api.gql<{ webhookEndpoints: { edges: { node: Record<string, unknown> }[] } }>(
      '{ webhookEndpoints(first: 100) { edges { node { id url events enabled } } } }',
      {},
      tenant.sessions.AUDITOR,
    );
    expect(listed.errors).toBeUndefined();
    expect(JSON.stringify(listed.data)).not.toContain(created.secret);
    expect(listed.data!.webhookEndpoints.edges.map((edge) => edge.node.id)).toContain(
      created.webhookEndpoint.id,
    );

    const rotated = await api.gql<{ rotateWebhookSecret: { secret: string } }>(
      'mutation($id: ID!) { rotateWebhookSecret(webhookEndpointId: $id) { secret } }',
      { id: created.webhookEndpoint.id },
      tenant.sessions.ADMIN,
    );
    expect(rotated.errors).toBeUndefined();
    expect(rotated.data!.rotateWebhookSecret.secret).not.toBe(created.secret);

    const audit = await db().auditEvent.findMany({ where: { entityId: created.webhookEndpoint.id } });
    expect(audit.map((event) => event.action).sort()).toEqual([
      'webhookEndpoint.create',
      'webhookEndpoint.rotateSecret',
    ]);
    const auditText = JSON.stringify(audit);
    expect(auditText).not.toContain(created.secret);
    expect(auditText).not.toContain(rotated.data!.rotateWebhookSecret.secret);
  });

  it('delivers an event with a signature the receiver verifies', async () => {
    const { secret, webhookEndpoint } = await createEndpoint('/signed');
    const count = await record('stream.stopped', 'stream.stopped:signed', { streamId: tenant.ids.streamId });
    expect(count).toBe(1);
    await waitFor(
      async () => (await deliveryOf(webhookEndpoint.id, 'stream.stopped:signed')).status === 'DELIVERED',
      10_000,
    );

    const [request] = receiver.to('/signed');
    expect(request).toBeDefined();
    const delivery = await deliveryOf(webhookEndpoint.id, 'stream.stopped:signed');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.headers['vigil-event']).toBe('stream.stopped');
    expect(request!.headers['vigil-delivery']).toBe(delivery.id);
    expect(
      verifyWebhook({
        secret,
        body: request!.body,
        timestamp: request!.headers['vigil-timestamp'] as string,
        signature: request!.headers['vigil-signature'] as string,
      }),
    ).toEqual({ ok: true });
    expect(
      verifyWebhook({
        secret: 'whsec_wrong',
        body: request!.body,
        timestamp: request!.headers['vigil-timestamp'] as string,
        signature: request!.headers['vigil-signature'] as string,
      }).ok,
    ).toBe(false);
    expect(JSON.parse(request!.body)).toEqual({
      id: delivery.id,
      event: 'stream.stopped',
      createdAt: delivery.createdAt.toISOString(),
      data: { streamId: tenant.ids.streamId },
    });
    expect(delivery).toMatchObject({ attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null });
    expect(delivery.deliveredAt).toBeInstanceOf(Date);
  });

  it('sends an endpoint only the events it subscribes to, and nothing to disabled endpoints', async () => {
    const incidents = await createEndpoint('/incidents-only', ['incident.opened']);
    const disabled = await createEndpoint('/disabled');
    const off = await api.gql(
      'mutation($id: ID!) { updateWebhookEndpoint(webhookEndpointId: $id, input: { enabled: false }) { enabled } }',
      { id: disabled.webhookEndpoint.id },
      tenant.sessions.ADMIN,
    );
    expect(off.errors).toBeUndefined();

    await record('stream.stopped', 'stream.stopped:filter');
    await record('incident.opened', 'incident.opened:filter', { incidentId: 'i-1' });
    await waitFor(() => receiver.to('/incidents-only').length === 1, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.to('/incidents-only').map((r) => r.headers['vigil-event'])).toEqual(['incident.opened']);
    expect(receiver.to('/disabled')).toEqual([]);
    expect(await db().webhookDelivery.count({ where: { endpointId: incidents.webhookEndpoint.id } })).toBe(1);
    expect(await db().webhookDelivery.count({ where: { endpointId: disabled.webhookEndpoint.id } })).toBe(0);
    // A rule's own event name reaches only endpoints without a filter; header-breaking names are refused.
    await record('lawn.intrusion', 'lawn.intrusion:filter');
    expect(await db().webhookDelivery.count({ where: { eventKey: 'lawn.intrusion:filter' } })).toBe(0);
    await expect(record('bad\r\nname', 'x')).rejects.toThrow(/invalid webhook event name/);
  });

  it('creates and sends one delivery per endpoint and event key, however often it is recorded', async () => {
    const { webhookEndpoint } = await createEndpoint('/idempotent', ['alert.raised']);
    const counts = await Promise.all([
      record('alert.raised', 'alert.raised:once'),
      record('alert.raised', 'alert.raised:once'),
    ]);
    expect(counts.sort()).toEqual([0, 1]);
    expect(await record('alert.raised', 'alert.raised:once')).toBe(0);
    await waitFor(
      async () => (await deliveryOf(webhookEndpoint.id, 'alert.raised:once')).status === 'DELIVERED',
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.to('/idempotent')).toHaveLength(1);
  });

  it('retries a failing endpoint with backoff, marks it DEAD after the last attempt, and retries it on request', async () => {
    const path = `/failing-${Date.now()}`;
    const { webhookEndpoint } = await createEndpoint(path, ['review.resolved']);
    receiver.status = 500;
    try {
      await record('review.resolved', 'review.resolved:dead');
      await waitFor(
        async () => (await deliveryOf(webhookEndpoint.id, 'review.resolved:dead')).status === 'DEAD',
        15_000,
      );
    } finally {
      receiver.status = 200;
    }
    const dead = await deliveryOf(webhookEndpoint.id, 'review.resolved:dead');
    expect(dead).toMatchObject({
      attempts: MAX_ATTEMPTS,
      lastStatus: 500,
      lastError: 'HTTP 500',
      nextAttemptAt: null,
    });
    expect(receiver.to(path)).toHaveLength(MAX_ATTEMPTS);

    const listed = await api.gql<{
      webhookDeliveries: {
        edges: { node: { id: string; status: string; attempts: number; webhookEndpointId: string } }[];
      };
    }>(
      `query($id: ID) { webhookDeliveries(webhookEndpointId: $id, status: DEAD, first: 10) {
        edges { node { id status attempts lastStatus lastError webhookEndpointId event eventKey payload } } } }`,
      { id: webhookEndpoint.id },
      tenant.sessions.AUDITOR,
    );
    expect(listed.errors).toBeUndefined();
    expect(listed.data!.webhookDeliveries.edges.map((edge) => edge.node)).toEqual([
      expect.objectContaining({
        id: dead.id,
        status: 'DEAD',
        attempts: MAX_ATTEMPTS,
        webhookEndpointId: webhookEndpoint.id,
      }),
    ]);

    const RETRY = 'mutation($id: ID!) { retryWebhookDelivery(webhookDeliveryId: $id) { id status } }';
    const auditorRetry = await api.gql(RETRY, { id: dead.id }, tenant.sessions.AUDITOR);
    expect(errorCodes(auditorRetry)).toEqual(['FORBIDDEN']);
    const retried = await api.gql<{ retryWebhookDelivery: { status: string } }>(
      RETRY,
      { id: dead.id },
      tenant.sessions.ADMIN,
    );
    expect(retried.errors).toBeUndefined();
    expect(retried.data!.retryWebhookDelivery.status).toBe('PENDING');
    await waitFor(
      async () => (await deliveryOf(webhookEndpoint.id, 'review.resolved:dead')).status === 'DELIVERED',
      10_000,
    );
    expect(await deliveryOf(webhookEndpoint.id, 'review.resolved:dead')).toMatchObject({
      attempts: MAX_ATTEMPTS + 1,
      lastStatus: 200,
      lastError: null,
    });

    const again = await api.gql(RETRY, { id: dead.id }, tenant.sessions.ADMIN);
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    const audit = await db().auditEvent.findMany({
      where: { entityId: dead.id },
      orderBy: { chainIndex: 'asc' },
    });
    // The worker's giving up, then the person's retry.
    expect(audit.map((event) => [event.action, event.actorType])).toEqual([
      ['webhookDelivery.deadLettered', 'worker'],
      ['webhookDelivery.retry', 'user'],
    ]);
  }, 30_000);

  it('counts a receiver slower than the timeout as a failed attempt', async () => {
    const path = `/slow-${Date.now()}`;
    const { webhookEndpoint } = await createEndpoint(path, ['rule.fired']);
    receiver.delayMs = 2_000;
    try {
      await record('rule.fired', 'rule.fired:slow');
      await waitFor(
        async () => (await deliveryOf(webhookEndpoint.id, 'rule.fired:slow')).status === 'DEAD',
        15_000,
      );
    } finally {
      receiver.delayMs = 0;
    }
    const dead = await deliveryOf(webhookEndpoint.id, 'rule.fired:slow');
    expect(dead).toMatchObject({
      attempts: MAX_ATTEMPTS,
      lastStatus: null,
      lastError: 'timed out after 400 ms',
    });
  }, 30_000);

  describe('URL policy (WEBHOOK_ALLOW_PRIVATE_URLS=false)', () => {
    let strictTenant: TenantFixture;
    beforeAll(async () => {
      strictTenant = await createTenantFixture(strictApi, 'hooks-strict');
    });

    it.each([
      ['http://127.0.0.1:9/hook', 'loopback'],
      ['http://localhost:9/hook', 'loopback'],
      ['http://[::1]:9/hook', 'loopback'],
      ['http://169.254.169.254/latest/meta-data/', 'link-local'],
      ['http://10.0.0.8/hook', 'private'],
      ['http://192.168.1.20/hook', 'private'],
      ['http://100.64.0.1/hook', 'private'],
      ['http://[fd00::1]/hook', 'private'],
      ['ftp://hooks.example.com/', 'scheme must be https or http'],
      ['https://user:pw@hooks.example.com/', 'must not contain credentials'],
    ])('refuses %s (%s) with BAD_USER_INPUT on input.url', async (url, reason) => {
      const response = await strictApi.gql(CREATE, { input: { url } }, strictTenant.sessions.ADMIN);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      const fields = response.errors![0]!.extensions!.fields as { field: string; message: string }[];
      expect(fields).toEqual([{ field: 'input.url', message: expect.stringContaining(reason) }]);
    });

    it('refuses unknown event names and private URLs on update too', async () => {
      const badEvent = await strictApi.gql(
        CREATE,
        { input: { url: 'http://127.0.0.1/x', events: ['stream.stopped', 'stream.exploded'] } },
        strictTenant.sessions.ADMIN,
      );
      expect(errorCodes(badEvent)).toEqual(['BAD_USER_INPUT']);
      expect(badEvent.errors![0]!.extensions!.fields).toEqual([
        { field: 'input.events.1', message: expect.stringContaining('must be one of') },
      ]);

      // A row saved while private URLs were allowed; changing it now is checked.
      const row = await tenantDb(strictApi.prisma, strictTenant.tenantId).webhookEndpoint.create({
        data: { tenantId: strictTenant.tenantId, url: 'https://hooks.example.com/', secretEncrypted: 'x' },
      });
      const update = await strictApi.gql(
        'mutation($id: ID!, $url: String) { updateWebhookEndpoint(webhookEndpointId: $id, input: { url: $url }) { id } }',
        { id: row.id, url: 'http://192.168.0.1/' },
        strictTenant.sessions.ADMIN,
      );
      expect(errorCodes(update)).toEqual(['BAD_USER_INPUT']);
    });

    it('checks the address again when sending (a name may resolve differently later)', async () => {
      const strictAgent = createWebhookAgent(strictApi.config);
      try {
        const strictDb = tenantDb(strictApi.prisma, strictTenant.tenantId);
        for (const [index, host] of ['localhost', '127.0.0.1'].entries()) {
          const url = `${receiver.url.replace('127.0.0.1', host)}/rebound-${index}`;
          const endpoint = await strictDb.webhookEndpoint.create({
            data: { tenantId: strictTenant.tenantId, url, secretEncrypted: 'x' },
          });
          // Sealed with the right key, so the only reason to refuse is the address.
          const { sealSecret } = await import('../src/auth/secret-box');
          await strictDb.webhookEndpoint.update({
            where: { id: endpoint.id },
            data: { secretEncrypted: sealSecret('whsec_x', KEY) },
          });
          const delivery = await strictDb.webhookDelivery.create({
            data: {
              tenantId: strictTenant.tenantId,
              endpointId: endpoint.id,
              event: 'stream.stopped',
              eventKey: `rebound-${index}`,
              payload: {},
            },
          });
          const outcome = await deliverWebhook(
            { prisma: strictApi.prisma, config: strictApi.config, agent: strictAgent },
            { tenantId: strictTenant.tenantId, deliveryId: delivery.id },
            { attemptsMade: 0, attempts: 1, backoffMs: 10 },
          );
          expect(outcome).toBe('dead');
          const after = await strictDb.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } });
          expect(after).toMatchObject({ status: 'DEAD', attempts: 1, lastStatus: null });
          expect(after.lastError).toMatch(/loopback/);
          expect(receiver.to(`/rebound-${index}`)).toEqual([]);
        }
      } finally {
        await strictAgent.close();
      }
    });

    it('refuses to create endpoints when the operator set no WEBHOOK_SECRET_KEY', async () => {
      const keyless = await startTestApi({ WEBHOOK_SECRET_KEY: '', WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
      try {
        const fixture = await createTenantFixture(keyless, 'hooks-nokey');
        const response = await keyless.gql(CREATE, { input: { url: receiver.url } }, fixture.sessions.ADMIN);
        expect(errorCodes(response)).toEqual(['CONFLICT']);
        expect(response.errors![0]!.message).toContain('WEBHOOK_SECRET_KEY');
      } finally {
        await keyless.stop();
      }
    });
  });
});
