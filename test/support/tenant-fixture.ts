import { randomBytes, randomUUID } from 'node:crypto';
import type { Role } from '../../src/generated/prisma/enums';
import { sealSecret } from '../../src/auth/secret-box';
import { tenantDb } from '../../src/db/tenant-scoped-db';
import { usageMonth } from '../../src/analysis/usage-meter';
import { frameKey } from '../../src/storage/frame-store';
import type { TestApi } from './api-harness';

export const ROLES: Role[] = ['ADMIN', 'MODERATOR', 'AUDITOR'];
export const PASSWORD = 'correct horse battery staple';

/** A tenant with one of everything, and a session token and an API key for every role. */
export interface TenantFixture {
  tenantId: string;
  slug: string;
  sessions: Record<Role, string>;
  apiKeys: Record<Role, string>;
  userIds: Record<Role, string>;
  ids: {
    tenantId: string;
    userId: string;
    apiKeyId: string;
    streamId: string;
    templateId: string;
    versionId: string;
    ruleId: string;
    windowId: string;
    analysisId: string;
    incidentId: string;
    reviewItemId: string;
    /** A policy reason a decision may give. */
    policyReasonId: string;
    /**
     * GPU nodes are platform-wide, not tenant-owned, and only platform admins reach them: a fresh
     * id naming no row, so fixtures do not add nodes that workers of other tests would route to.
     */
    nodeId: string;
    webhookEndpointId: string;
    webhookDeliveryId: string;
    /** A finished verification of the tenant's audit chain. */
    verificationId: string;
  };
}

export const uniqueSlug = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;

export const SAMPLE_VERSION = {
  systemText: 'You watch a fixed camera and report what happens and why.',
  instructionText: 'Stream {{streamName}}. Policy: {{policy}}. Answer in JSON.',
};

export async function createTenantFixture(api: TestApi, prefix = 'tenant'): Promise<TenantFixture> {
  const slug = uniqueSlug(prefix);
  const operator = { kind: 'operator' as const, id: null };
  const created = await api.services.tenants.create(operator, {
    slug,
    name: `Tenant ${slug}`,
    adminEmail: `admin@${slug}.test`,
    adminPassword: PASSWORD,
  });
  const tenantId = created.tenant.id;
  const db = tenantDb(api.prisma, tenantId);
  const adminActor = {
    kind: 'user' as const,
    id: created.adminUserId,
    tenantId,
    role: 'ADMIN' as const,
    isPlatformAdmin: false,
  };
  const userIds = { ADMIN: created.adminUserId } as Record<Role, string>;
  for (const role of ['MODERATOR', 'AUDITOR'] as const) {
    const { user } = await api.services.users.create(db, adminActor, {
      email: `${role.toLowerCase()}@${slug}.test`,
      role,
      password: PASSWORD,
    });
    userIds[role] = user.id;
  }
  const sessions = {} as Record<Role, string>;
  const apiKeys = {} as Record<Role, string>;
  let apiKeyId = '';
  for (const role of ROLES) {
    const login = await api.services.auth.login(
      { tenantSlug: slug, email: `${role.toLowerCase()}@${slug}.test`, password: PASSWORD },
      '127.0.0.1',
    );
    sessions[role] = login.token;
    const key = await api.services.apiKeys.create(db, adminActor, { name: `${role} key`, role });
    apiKeys[role] = key.secret;
    apiKeyId = key.apiKey.id;
  }
  const template = await api.services.templates.create(db, adminActor, {
    name: 'Lawn watch',
    version: SAMPLE_VERSION,
  });
  const stream = await api.services.streams.create(db, adminActor, {
    name: 'Front lawn',
    sourceUrl: 'rtsp://viewer:s3cret@camera.example.net/lawn',
    templateId: template.id,
    start: false,
  });
  // The stream's zones and lines, drawn by its admin: scene version 1.
  await api.services.streams.saveScene(db, adminActor, {
    streamId: stream.id,
    expectedVersion: 0,
    zones: [
      {
        name: 'Lawn',
        polygon: [
          { x: 0.1, y: 0.55 },
          { x: 0.6, y: 0.55 },
          { x: 0.6, y: 0.95 },
          { x: 0.1, y: 0.95 },
        ],
        labels: ['person'],
      },
    ],
    lines: [{ name: 'Gate', from: { x: 0.65, y: 0.3 }, to: { x: 0.95, y: 0.3 }, labels: [] }],
  });
  // Ingest rows are written by workers, not through the API: create one frame and one window.
  const capturedAt = new Date();
  const frame = await db.frame.create({
    data: {
      tenantId,
      streamId: stream.id,
      sequence: 0,
      capturedAt,
      storageKey: frameKey(tenantId, stream.id, capturedAt, 0),
      sha256: '0'.repeat(64),
      width: 448,
      height: 256,
      bytes: 0,
    },
  });
  const window = await db.window.create({
    data: {
      tenantId,
      streamId: stream.id,
      index: 0,
      frameIds: [frame.id],
      startAt: capturedAt,
      endAt: capturedAt,
    },
  });
  // Analyses and usage are written by the analysis worker: one finished analysis and this month's counter.
  const analysis = await db.analysis.create({
    data: {
      tenantId,
      streamId: stream.id,
      windowId: window.id,
      templateVersionId: template.activeVersionId!,
      mode: 'VLM',
      status: 'DONE',
      nodeName: 'gpu-fixture',
      model: 'qwen3-vl-8b-thinking',
      result: { timestamp: capturedAt.toISOString(), objects: [], actions: [], anomalies: [] },
      reasoning: `The lawn of ${slug} is empty.`,
      finishReason: 'stop',
      framesSent: 1,
      visionTokens: 300,
      promptTokens: 450,
      completionTokens: 120,
      reasoningTokens: 80,
      latencyMs: 900,
      attempts: 1,
      completedAt: capturedAt,
    },
  });
  await db.usageCounter.create({
    data: {
      tenantId,
      streamId: stream.id,
      month: usageMonth(),
      windowsAnalysed: 1,
      framesSent: 1,
      visionTokens: 300n,
      promptTokens: 450n,
      completionTokens: 120n,
      reasoningTokens: 80n,
      gpuMs: 900n,
    },
  });
  const rule = await api.services.rules.create(db, adminActor, {
    name: 'Person on lawn',
    condition: { object: { label: 'person', minConfidence: 0.6 } },
    action: { type: 'review', queue: 'lawn', priority: 70 },
  });
  // Incidents are written by the rules engine: one for the rule on the stream, with its evidence.
  const incident = await db.incident.create({
    data: {
      tenantId,
      streamId: stream.id,
      ruleId: rule.id,
      startAt: capturedAt,
      endAt: capturedAt,
      lastFiredAt: capturedAt,
      keyframeIds: [frame.id],
      summary: 'Person on lawn',
    },
  });
  await db.incidentFiring.create({
    data: {
      tenantId,
      incidentId: incident.id,
      ruleId: rule.id,
      analysisId: analysis.id,
      windowId: window.id,
      startAt: capturedAt,
      endAt: capturedAt,
    },
  });
  // The incident's review item, OPEN in the rule's queue.
  const reviewItem = await db.reviewItem.create({
    data: { tenantId, incidentId: incident.id, streamId: stream.id, queue: 'lawn', priority: 70 },
  });
  const policyReason = await db.policyReason.create({
    data: { tenantId, label: 'Nothing against the policy', policy: 'Community guidelines 1.1' },
  });
  // A webhook endpoint (secret sealed under a fixture key) and one DEAD delivery, as the worker leaves it.
  const webhookEndpoint = await db.webhookEndpoint.create({
    data: {
      tenantId,
      url: 'https://hooks.example.net/vigil',
      events: ['stream.stopped'],
      secretEncrypted: sealSecret('whsec_fixture', 'fixture-webhook-key'),
    },
  });
  const webhookDelivery = await db.webhookDelivery.create({
    data: {
      tenantId,
      endpointId: webhookEndpoint.id,
      event: 'stream.stopped',
      eventKey: `stream.stopped:${stream.id}`,
      payload: { streamId: stream.id },
      status: 'DEAD',
      attempts: 6,
      lastStatus: 500,
      lastError: 'HTTP 500',
    },
  });
  const verification = await db.auditVerification.create({
    data: {
      tenantId,
      requestedByType: 'user',
      requestedById: userIds.AUDITOR,
      eventsTotal: 0,
      status: 'DONE',
      ok: true,
      finishedAt: new Date(),
    },
  });
  return {
    tenantId,
    slug,
    sessions,
    apiKeys,
    userIds,
    ids: {
      tenantId,
      userId: userIds.MODERATOR,
      apiKeyId,
      streamId: stream.id,
      templateId: template.id,
      versionId: template.activeVersionId!,
      ruleId: rule.id,
      windowId: window.id,
      analysisId: analysis.id,
      incidentId: incident.id,
      reviewItemId: reviewItem.id,
      policyReasonId: policyReason.id,
      nodeId: randomUUID(),
      webhookEndpointId: webhookEndpoint.id,
      webhookDeliveryId: webhookDelivery.id,
      verificationId: verification.id,
    },
  };
}
