import { randomBytes, randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { openSecret, sealSecret } from '../src/auth/secret-box';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { COCO_LABELS } from '../src/scene/object-labels';
import { loadNodeDefinitions, NodeRegistryProblem } from '../src/inference/gpu/node-registry';
import { usageMonth } from '../src/analysis/usage-meter';
import { NODE_STATUS_KEY_PREFIX, TOPICS } from '../src/pubsub/topics';
import { createRedis } from '../src/redis/redis-client';
import pino from 'pino';
import { NodePool } from '../src/inference/gpu/node-pool';
import { publishNodeStatus } from '../src/inference/gpu/node-status-board';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { fieldsOf } from './support/raw-http';
import {
  createTenantFixture,
  ROLES,
  SAMPLE_VERSION,
  TenantFixture,
  uniqueSlug,
} from './support/tenant-fixture';
import { waitFor } from './support/wait-for';

/**
 * The API side of inference: analyses, usage and budget, tenant settings, the local gate of
 * template versions, and GPU nodes for platform admins (registry, status from the workers' Redis
 * reports, the list the workers load).
 */

const NODE_SECRET = `node-key-secret-${randomBytes(8).toString('hex')}`;
const CONFIG_NODE = `gpu-config-${randomBytes(3).toString('hex')}`;
const CONFIG_NODE_KEY = `config-node-key-${randomBytes(8).toString('hex')}`;
const VLLM_NODES = JSON.stringify([
  {
    name: CONFIG_NODE,
    url: 'http://10.20.0.1:8000/',
    apiKey: CONFIG_NODE_KEY,
    model: 'qwen3-vl-8b-thinking',
  },
]);

const ANALYSIS_FIELDS = `id windowId streamId templateVersionId mode status nodeName model result reasoning
  finishReason framesSent visionTokens promptTokens completionTokens reasoningTokens latencyMs attempts
  error startedAt completedAt templateVersion { id version }`;
const USAGE_COUNTS = `windowsAnalysed windowsGated windowsFailed windowsDegraded framesSent visionTokens
  promptTokens completionTokens reasoningTokens gpuSeconds`;
const USAGE = `query ($month: String) { usage(month: $month) {
  month tokenBudget tokensUsed budgetExhausted overBudgetAction
  totals { ${USAGE_COUNTS} } streams { streamId streamName ${USAGE_COUNTS} } } }`;
const SETTINGS = `mutation ($input: UpdateTenantSettingsInput!) {
  updateTenantSettings(input: $input) { id overBudgetAction policyText budgetExhaustedMonth } }`;
const NODE_FIELDS = `id name url model maxConcurrency weight state source hasApiKey problem workersReporting
  healthy breaker outstanding running waiting kvCacheUsage lastError reportedAt`;
const NODES = `{ inferenceNodes { ${NODE_FIELDS} } }`;
const REGISTER = `mutation ($input: RegisterInferenceNodeInput!) { registerInferenceNode(input: $input) { ${NODE_FIELDS} } }`;
const NODE_CHANGE = (name: 'drainInferenceNode' | 'activateInferenceNode') =>
  `mutation ($nodeId: ID!) { ${name}(nodeId: $nodeId) { ${NODE_FIELDS} } }`;
const REMOVE = `mutation ($nodeId: ID!) { removeInferenceNode(nodeId: $nodeId) }`;
const CREATE_TEMPLATE = `mutation ($input: CreatePromptTemplateInput!) { createPromptTemplate(input: $input) {
  id activeVersion { id gateObjects gateNsfw gateMinConfidence reanalyseDegraded } } }`;
const ADD_VERSION = `mutation ($templateId: ID!, $input: PromptTemplateVersionInput!) {
  addPromptTemplateVersion(templateId: $templateId, input: $input) {
    id version gateObjects gateNsfw gateMinConfidence reanalyseDegraded } }`;

interface AnalysisView {
  id: string;
  windowId: string;
  mode: string;
  status: string;
  reasoning: string;
  result: unknown;
  promptTokens: number;
  templateVersion: { id: string; version: number } | null;
}

interface NodeView {
  id: string;
  name: string;
  url: string;
  model: string;
  maxConcurrency: number;
  weight: number;
  state: string;
  source: string;
  hasApiKey: boolean;
  problem: string | null;
  workersReporting: number;
  healthy: boolean | null;
  breaker: string | null;
  outstanding: number;
  running: number | null;
  waiting: number | null;
  kvCacheUsage: number | null;
  lastError: string | null;
  reportedAt: string | null;
}

const nextMonthStart = (): string => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().slice(0, 10);
};

describe('inference through the API', () => {
  let api: TestApi;
  let noSecretApi: TestApi;
  let f: TenantFixture;
  let other: TenantFixture;
  let platform: TenantFixture;
  let platformToken: string;

  beforeAll(async () => {
    [api, noSecretApi] = await Promise.all([
      startTestApi({ VLLM_NODES, INFERENCE_NODE_KEY_SECRET: NODE_SECRET }, { captureLogs: true }),
      startTestApi({ VLLM_NODES }),
    ]);
    [f, other, platform] = await Promise.all([
      createTenantFixture(api, 'inf'),
      createTenantFixture(api, 'inf-other'),
      createTenantFixture(api, 'inf-platform'),
    ]);
    await api.prisma.user.update({ where: { id: platform.userIds.ADMIN }, data: { isPlatformAdmin: true } });
    platformToken = platform.sessions.ADMIN;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), noSecretApi?.stop()]);
  });

  describe('analyses', () => {
    /** The fixture's analysis (window 0), then three more on windows 1 and 2, in this order. */
    let ordered: string[];
    let windowIds: string[];

    beforeAll(async () => {
      const db = tenantDb(api.prisma, f.tenantId);
      const frames = await db.frame.findMany({ where: { streamId: f.ids.streamId } });
      windowIds = [f.ids.windowId];
      for (const index of [1, 2]) {
        const window = await db.window.create({
          data: {
            tenantId: f.tenantId,
            streamId: f.ids.streamId,
            index,
            frameIds: frames.map((frame) => frame.id),
            startAt: new Date(),
            endAt: new Date(),
            status: 'DONE',
          },
        });
        windowIds.push(window.id);
      }
      const analysis = (windowId: string, mode: 'VLM' | 'LOCAL', status: 'DONE' | 'FAILED' | 'DEGRADED') =>
        db.analysis.create({
          data: {
            tenantId: f.tenantId,
            streamId: f.ids.streamId,
            windowId,
            templateVersionId: f.ids.versionId,
            mode,
            status,
            reasoning: `${mode} ${status} on ${windowId}`,
            promptTokens: 100,
            error: status === 'FAILED' ? 'every node answered 503' : null,
          },
        });
      ordered = [f.ids.analysisId];
      for (const [windowId, mode, status] of [
        [windowIds[1]!, 'LOCAL', 'DEGRADED'],
        [windowIds[1]!, 'VLM', 'DONE'],
        [windowIds[2]!, 'VLM', 'FAILED'],
      ] as const) {
        // Ids are UUIDv7: a new millisecond for each keeps their order that of creation.
        await new Promise((resolve) => setTimeout(resolve, 3));
        ordered.push((await analysis(windowId, mode, status)).id);
      }
    });

    it('answers a running analysis with the reasoning so far, kept by the worker in Redis', async () => {
      const db = tenantDb(api.prisma, f.tenantId);
      const running = await db.analysis.create({
        data: {
          tenantId: f.tenantId,
          streamId: f.ids.streamId,
          windowId: windowIds[2]!,
          templateVersionId: f.ids.versionId,
          mode: 'LOCAL',
          status: 'RUNNING',
        },
      });
      const key = TOPICS.analysisReasoningSoFar(f.tenantId, running.id);
      try {
        const query = `query ($id: ID!) { analysis(analysisId: $id) { status reasoning } }`;
        expect((await api.gql(query, { id: running.id }, f.sessions.MODERATOR)).data).toEqual({
          analysis: { status: 'RUNNING', reasoning: '' },
        });
        await api.redis.set(key, 'The first frame shows', 'EX', 60);
        expect((await api.gql(query, { id: running.id }, f.sessions.MODERATOR)).data).toEqual({
          analysis: { status: 'RUNNING', reasoning: 'The first frame shows' },
        });
        // Another tenant's credentials see nothing of it.
        expect(errorCodes(await api.gql(query, { id: running.id }, other.sessions.ADMIN))).toEqual([
          'NOT_FOUND',
        ]);
        // Finished, the stored text is the answer, whatever the key still holds.
        await db.analysis.update({
          where: { id: running.id },
          data: { status: 'DONE', reasoning: 'Final text' },
        });
        expect((await api.gql(query, { id: running.id }, f.sessions.MODERATOR)).data).toEqual({
          analysis: { status: 'DONE', reasoning: 'Final text' },
        });
      } finally {
        await api.redis.del(key);
        await db.analysis.delete({ where: { id: running.id } });
      }
    });

    it.each(ROLES)(
      'lets a %s read a stream’s analyses, newest first, by session and by API key',
      async (role) => {
        for (const credential of [f.sessions[role], f.apiKeys[role]]) {
          const response = await api.gql<{
            stream: { analyses: { edges: { node: AnalysisView }[]; pageInfo: { hasNextPage: boolean } } };
          }>(
            `query ($id: ID!) { stream(streamId: $id) { analyses(first: 10) {
            edges { node { ${ANALYSIS_FIELDS} } } pageInfo { hasNextPage } } } }`,
            { id: f.ids.streamId },
            credential,
          );
          expect(response.errors).toBeUndefined();
          const nodes = response.data!.stream.analyses.edges.map((edge) => edge.node);
          expect(nodes.map((node) => node.id)).toEqual([...ordered].reverse());
          expect(nodes[0]).toMatchObject({ mode: 'VLM', status: 'FAILED', windowId: windowIds[2] });
          expect(nodes[0]!.templateVersion).toEqual({ id: f.ids.versionId, version: 1 });
          expect(response.data!.stream.analyses.pageInfo.hasNextPage).toBe(false);
        }
      },
    );

    it('pages newest first with first/after and filters by status', async () => {
      const query = `query ($id: ID!, $after: String, $status: AnalysisStatus) { stream(streamId: $id) {
        analyses(first: 2, after: $after, status: $status) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }`;
      type Page = {
        stream: {
          analyses: {
            edges: { node: { id: string } }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
      };
      const first = await api.gql<Page>(query, { id: f.ids.streamId }, f.sessions.MODERATOR);
      const second = await api.gql<Page>(
        query,
        { id: f.ids.streamId, after: first.data!.stream.analyses.pageInfo.endCursor },
        f.sessions.MODERATOR,
      );
      expect(first.data!.stream.analyses.pageInfo.hasNextPage).toBe(true);
      expect(second.data!.stream.analyses.pageInfo.hasNextPage).toBe(false);
      expect(
        [...first.data!.stream.analyses.edges, ...second.data!.stream.analyses.edges].map(
          (edge) => edge.node.id,
        ),
      ).toEqual([...ordered].reverse());

      const done = await api.gql<Page>(query, { id: f.ids.streamId, status: 'DONE' }, f.sessions.AUDITOR);
      expect(done.data!.stream.analyses.edges.map((edge) => edge.node.id)).toEqual([ordered[2], ordered[0]]);
    });

    it('lists a window’s analyses newest first, also across a page of windows', async () => {
      const response = await api.gql<{
        stream: { windows: { edges: { node: { id: string; analyses: { id: string; mode: string }[] } }[] } };
      }>(
        `query ($id: ID!) { stream(streamId: $id) { windows(first: 10) { edges { node { id analyses { id mode } } } } } }`,
        { id: f.ids.streamId },
        f.sessions.AUDITOR,
      );
      expect(response.errors).toBeUndefined();
      const byWindow = Object.fromEntries(
        response.data!.stream.windows.edges.map((edge) => [edge.node.id, edge.node.analyses]),
      );
      expect(byWindow).toEqual({
        [windowIds[0]!]: [{ id: ordered[0], mode: 'VLM' }],
        [windowIds[1]!]: [
          { id: ordered[2], mode: 'VLM' },
          { id: ordered[1], mode: 'LOCAL' },
        ],
        [windowIds[2]!]: [{ id: ordered[3], mode: 'VLM' }],
      });
    });

    it.each(ROLES)(
      'answers analysis(analysisId) for a %s with the reasoning, result and tokens',
      async (role) => {
        const response = await api.gql<{ analysis: AnalysisView & Record<string, unknown> }>(
          `query ($id: ID!) { analysis(analysisId: $id) { ${ANALYSIS_FIELDS} } }`,
          { id: f.ids.analysisId },
          f.apiKeys[role],
        );
        expect(response.errors).toBeUndefined();
        expect(response.data!.analysis).toMatchObject({
          id: f.ids.analysisId,
          windowId: f.ids.windowId,
          streamId: f.ids.streamId,
          templateVersionId: f.ids.versionId,
          mode: 'VLM',
          status: 'DONE',
          nodeName: 'gpu-fixture',
          reasoning: `The lawn of ${f.slug} is empty.`,
          finishReason: 'stop',
          visionTokens: 300,
          promptTokens: 450,
          completionTokens: 120,
          reasoningTokens: 80,
          attempts: 1,
          error: null,
        });
        expect(response.data!.analysis.result).toMatchObject({ objects: [], actions: [], anomalies: [] });
      },
    );

    it('answers NOT_FOUND for another tenant’s analysis and an unknown id, BAD_USER_INPUT for a non-id', async () => {
      const read = (id: string) =>
        api.gql(`query ($id: ID!) { analysis(analysisId: $id) { id reasoning } }`, { id }, f.sessions.ADMIN);
      const foreign = await read(other.ids.analysisId);
      expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(foreign)).not.toContain(other.slug);
      expect(errorCodes(await read(randomUUID()))).toEqual(['NOT_FOUND']);
      const bad = await read('abc');
      expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(bad)).toEqual(['analysisId']);
    });
  });

  describe('usage and budget', () => {
    let u: TenantFixture;
    let secondStreamId: string;
    const month = usageMonth();

    beforeAll(async () => {
      u = await createTenantFixture(api, 'usage');
      const db = tenantDb(api.prisma, u.tenantId);
      const second = await db.stream.create({
        data: {
          tenantId: u.tenantId,
          name: 'Back yard',
          sourceUrl: 'rtsp://camera.example.net/yard',
          kind: 'RTSP',
        },
      });
      secondStreamId = second.id;
      await db.usageCounter.create({
        data: {
          tenantId: u.tenantId,
          streamId: second.id,
          month,
          windowsAnalysed: 10,
          windowsGated: 4,
          windowsFailed: 2,
          windowsDegraded: 1,
          framesSent: 80,
          visionTokens: 6_000_000_000n,
          promptTokens: 5_000_000_000n,
          completionTokens: 1_000n,
          reasoningTokens: 600n,
          gpuMs: 12_500n,
        },
      });
      // Another month, and another tenant: neither may count.
      await db.usageCounter.create({
        data: {
          tenantId: u.tenantId,
          streamId: u.ids.streamId,
          month: '2025-01',
          promptTokens: 7n,
          windowsAnalysed: 3,
        },
      });
    });

    it('sums the month’s counters per tenant and per stream, most tokens first, for ADMIN and AUDITOR', async () => {
      for (const credential of [u.sessions.ADMIN, u.apiKeys.AUDITOR]) {
        const response = await api.gql<{ usage: Record<string, unknown> }>(USAGE, {}, credential);
        expect(response.errors).toBeUndefined();
        expect(response.data!.usage).toEqual({
          month,
          tokenBudget: 50_000_000,
          tokensUsed: 5_000_000_000 + 1_000 + 450 + 120,
          budgetExhausted: true,
          overBudgetAction: 'LOCAL',
          totals: {
            windowsAnalysed: 11,
            windowsGated: 4,
            windowsFailed: 2,
            windowsDegraded: 1,
            framesSent: 81,
            visionTokens: 6_000_000_300,
            promptTokens: 5_000_000_450,
            completionTokens: 1_120,
            reasoningTokens: 680,
            gpuSeconds: 13.4,
          },
          streams: [
            {
              streamId: secondStreamId,
              streamName: 'Back yard',
              windowsAnalysed: 10,
              windowsGated: 4,
              windowsFailed: 2,
              windowsDegraded: 1,
              framesSent: 80,
              visionTokens: 6_000_000_000,
              promptTokens: 5_000_000_000,
              completionTokens: 1_000,
              reasoningTokens: 600,
              gpuSeconds: 12.5,
            },
            {
              streamId: u.ids.streamId,
              streamName: 'Front lawn',
              windowsAnalysed: 1,
              windowsGated: 0,
              windowsFailed: 0,
              windowsDegraded: 0,
              framesSent: 1,
              visionTokens: 300,
              promptTokens: 450,
              completionTokens: 120,
              reasoningTokens: 80,
              gpuSeconds: 0.9,
            },
          ],
        });
      }
    });

    it('answers an earlier month with only its rows, and budgetExhausted against the budget', async () => {
      const response = await api.gql<{
        usage: {
          month: string;
          tokensUsed: number;
          budgetExhausted: boolean;
          streams: { streamId: string }[];
        };
      }>(USAGE, { month: '2025-01' }, u.sessions.ADMIN);
      expect(response.errors).toBeUndefined();
      expect(response.data!.usage).toMatchObject({ month: '2025-01', tokensUsed: 7, budgetExhausted: false });
      expect(response.data!.usage.streams.map((row) => row.streamId)).toEqual([u.ids.streamId]);
    });

    it('answers a month without counters with zeros', async () => {
      const response = await api.gql<{
        usage: { tokensUsed: number; totals: { windowsAnalysed: number }; streams: [] };
      }>(USAGE, { month: '2030-06' }, u.sessions.AUDITOR);
      expect(response.data!.usage).toMatchObject({
        tokensUsed: 0,
        totals: { windowsAnalysed: 0 },
        streams: [],
      });
    });

    it.each(['2025-13', '2025-1', '2025-00', 'abcd', '2025-01-01', ''])(
      'refuses month "%s" with BAD_USER_INPUT naming month',
      async (bad) => {
        const response = await api.gql(USAGE, { month: bad }, u.sessions.ADMIN);
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(fieldsOf(response)).toEqual(['month']);
      },
    );

    it('refuses a MODERATOR (cost figures are for admins and auditors)', async () => {
      for (const credential of [u.sessions.MODERATOR, u.apiKeys.MODERATOR]) {
        expect(errorCodes(await api.gql(USAGE, {}, credential))).toEqual(['FORBIDDEN']);
      }
    });

    it('shows the tenant’s budget as set by the platform quota mutation', async () => {
      const quotas = await api.gql<{ updateTenantQuotas: { monthlyTokenBudget: number } }>(
        `mutation ($id: ID!) { updateTenantQuotas(tenantId: $id, input: { monthlyTokenBudget: 9000000000 }) { monthlyTokenBudget } }`,
        { id: u.tenantId },
        platformToken,
      );
      expect(quotas.errors).toBeUndefined();
      expect(quotas.data!.updateTenantQuotas.monthlyTokenBudget).toBe(9_000_000_000);
      const response = await api.gql<{ usage: { tokenBudget: number; budgetExhausted: boolean } }>(
        USAGE,
        {},
        u.sessions.ADMIN,
      );
      expect(response.data!.usage).toMatchObject({ tokenBudget: 9_000_000_000, budgetExhausted: false });
    });
  });

  describe('tenant settings and the analysis notice', () => {
    let s: TenantFixture;
    const notices = async (credential: string) => {
      const response = await api.gql<{
        streams: { edges: { node: { analysisNotice: string | null } }[] };
        stream: { analysisNotice: string | null };
      }>(
        `query ($id: ID!) { streams { edges { node { analysisNotice } } } stream(streamId: $id) { analysisNotice } }`,
        { id: s.ids.streamId },
        credential,
      );
      expect(response.errors).toBeUndefined();
      return [
        ...response.data!.streams.edges.map((edge) => edge.node.analysisNotice),
        response.data!.stream.analysisNotice,
      ];
    };

    beforeAll(async () => {
      s = await createTenantFixture(api, 'settings');
      await api.services.streams.create(
        tenantDb(api.prisma, s.tenantId),
        { kind: 'user', id: s.userIds.ADMIN, tenantId: s.tenantId, role: 'ADMIN', isPlatformAdmin: false },
        {
          name: 'Side gate',
          sourceUrl: 'rtsp://camera.example.net/gate',
          start: false,
        },
      );
    });

    it('lets the ADMIN set the over-budget action and policy, audited, and shows them on the tenant', async () => {
      const auditBefore = await api.prisma.auditEvent.count({ where: { tenantId: s.tenantId } });
      const response = await api.gql<{ updateTenantSettings: Record<string, unknown> }>(
        SETTINGS,
        { input: { overBudgetAction: 'PAUSE', policyText: 'Weapons and fights need review.' } },
        s.sessions.ADMIN,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data!.updateTenantSettings).toEqual({
        id: s.tenantId,
        overBudgetAction: 'PAUSE',
        policyText: 'Weapons and fights need review.',
        budgetExhaustedMonth: null,
      });
      const audit = await api.prisma.auditEvent.findMany({
        where: { tenantId: s.tenantId, action: 'tenant.updateSettings' },
      });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actorType: 'user',
        actorId: s.userIds.ADMIN,
        entityType: 'Tenant',
        entityId: s.tenantId,
        data: { overBudgetAction: 'PAUSE', policyText: 'Weapons and fights need review.' },
      });
      expect(await api.prisma.auditEvent.count({ where: { tenantId: s.tenantId } })).toBe(auditBefore + 1);

      // Omitted fields keep their value.
      const onlyPolicy = await api.gql<{
        updateTenantSettings: { overBudgetAction: string; policyText: string };
      }>(SETTINGS, { input: { policyText: '' } }, s.apiKeys.ADMIN);
      expect(onlyPolicy.data!.updateTenantSettings).toMatchObject({
        overBudgetAction: 'PAUSE',
        policyText: '',
      });
      const mine = await api.gql<{ myTenant: { overBudgetAction: string; policyText: string } }>(
        '{ myTenant { overBudgetAction policyText budgetExhaustedMonth } }',
        {},
        s.sessions.MODERATOR,
      );
      expect(mine.data!.myTenant).toEqual({
        overBudgetAction: 'PAUSE',
        policyText: '',
        budgetExhaustedMonth: null,
      });
    });

    it('refuses MODERATOR and AUDITOR, a policy over 4000 characters and an unknown action, changing nothing', async () => {
      const before = await api.prisma.tenant.findUnique({ where: { id: s.tenantId } });
      const auditBefore = await api.prisma.auditEvent.count({ where: { tenantId: s.tenantId } });
      for (const credential of [
        s.sessions.MODERATOR,
        s.sessions.AUDITOR,
        s.apiKeys.MODERATOR,
        s.apiKeys.AUDITOR,
      ]) {
        const response = await api.gql(SETTINGS, { input: { overBudgetAction: 'LOCAL' } }, credential);
        expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      }
      const long = await api.gql(SETTINGS, { input: { policyText: 'x'.repeat(4001) } }, s.sessions.ADMIN);
      expect(errorCodes(long)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(long)).toEqual(['input.policyText']);
      expect(JSON.stringify(long)).not.toContain('x'.repeat(100));
      const unknown = await api.gql(SETTINGS, { input: { overBudgetAction: 'IGNORE' } }, s.sessions.ADMIN);
      expect(errorCodes(unknown)).toEqual(['BAD_USER_INPUT']);
      const exactly = await api.gql(SETTINGS, { input: { policyText: 'y'.repeat(4000) } }, s.sessions.ADMIN);
      expect(exactly.errors).toBeUndefined();
      expect(await api.prisma.tenant.findUnique({ where: { id: s.tenantId } })).toEqual({
        ...before,
        policyText: 'y'.repeat(4000),
        updatedAt: expect.any(Date),
      });
      expect(await api.prisma.auditEvent.count({ where: { tenantId: s.tenantId } })).toBe(auditBefore + 1);
    });

    it('shows no notice until budgetExhaustedMonth is the current month, then one on every stream', async () => {
      expect(await notices(s.sessions.MODERATOR)).toEqual([null, null, null]);

      await api.prisma.tenant.update({
        where: { id: s.tenantId },
        data: { budgetExhaustedMonth: '2020-01', overBudgetAction: 'LOCAL' },
      });
      expect(await notices(s.sessions.MODERATOR)).toEqual([null, null, null]);

      await api.prisma.tenant.update({
        where: { id: s.tenantId },
        data: { budgetExhaustedMonth: usageMonth() },
      });
      const local = `The monthly token budget is used up: windows are analysed by the local detector until ${nextMonthStart()}`;
      expect(await notices(s.apiKeys.AUDITOR)).toEqual([local, local, local]);

      await api.prisma.tenant.update({ where: { id: s.tenantId }, data: { overBudgetAction: 'PAUSE' } });
      const paused = await notices(s.sessions.ADMIN);
      expect(new Set(paused).size).toBe(1);
      expect(paused[0]).toMatch(
        /^The monthly token budget is used up: .*streams were paused for that reason/,
      );
      expect(paused[0]).toContain(nextMonthStart());

      // Another tenant's streams are not affected.
      const elsewhere = await api.gql<{ stream: { analysisNotice: string | null } }>(
        `query ($id: ID!) { stream(streamId: $id) { analysisNotice } }`,
        { id: f.ids.streamId },
        f.sessions.MODERATOR,
      );
      expect(elsewhere.data).toEqual({ stream: { analysisNotice: null } });
    });

    it('clears the month mark when a platform admin changes the budget, so the notice goes', async () => {
      await api.prisma.tenant.update({
        where: { id: s.tenantId },
        data: { budgetExhaustedMonth: usageMonth() },
      });
      const response = await api.gql(
        `mutation ($id: ID!) { updateTenantQuotas(tenantId: $id, input: { monthlyTokenBudget: 90000000 }) { id budgetExhaustedMonth } }`,
        { id: s.tenantId },
        platformToken,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data).toEqual({ updateTenantQuotas: { id: s.tenantId, budgetExhaustedMonth: null } });
      expect(await notices(s.sessions.MODERATOR)).toEqual([null, null, null]);
    });
  });

  describe('template gates', () => {
    const createTemplate = (version: Record<string, unknown>) =>
      api.gql<{
        createPromptTemplate: {
          id: string;
          activeVersion: { id: string; gateObjects: string[]; gateNsfw: boolean; gateMinConfidence: number };
        };
      }>(
        CREATE_TEMPLATE,
        { input: { name: `Gate ${uniqueSlug('t')}`, version: { ...SAMPLE_VERSION, ...version } } },
        f.sessions.ADMIN,
      );
    const templateCount = () => api.prisma.promptTemplate.count({ where: { tenantId: f.tenantId } });

    it('stores the gate on the version (labels once each) and shows it', async () => {
      const response = await createTemplate({
        gateObjects: ['person', 'bicycle', 'person'],
        gateNsfw: true,
        gateMinConfidence: 0.7,
        reanalyseDegraded: true,
      });
      expect(response.errors).toBeUndefined();
      const version = response.data!.createPromptTemplate.activeVersion;
      expect(version).toEqual({
        id: expect.any(String),
        gateObjects: ['person', 'bicycle'],
        gateNsfw: true,
        gateMinConfidence: 0.7,
        reanalyseDegraded: true,
      });
      expect(
        await api.prisma.promptTemplateVersion.findUnique({
          where: { id: version.id },
          select: { gateObjects: true, gateNsfw: true, gateMinConfidence: true, reanalyseDegraded: true },
        }),
      ).toEqual({
        gateObjects: ['person', 'bicycle'],
        gateNsfw: true,
        gateMinConfidence: 0.7,
        reanalyseDegraded: true,
      });
    });

    it('defaults to no gate', async () => {
      const response = await createTemplate({});
      expect(response.data!.createPromptTemplate.activeVersion).toEqual({
        id: expect.any(String),
        gateObjects: [],
        gateNsfw: false,
        gateMinConfidence: 0.5,
        reanalyseDegraded: false,
      });
    });

    it('refuses an unknown label naming its position and suggesting real ones, creating nothing', async () => {
      const before = await templateCount();
      const response = await createTemplate({ gateObjects: ['person', 'persn'] });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual(['input.version.gateObjects.1']);
      expect(response.errors![0]!.message).toContain('"persn"');
      expect(response.errors![0]!.message).toMatch(/did you mean "person"\?/);
      const nonsense = await createTemplate({ gateObjects: ['zzzzzzzz'] });
      expect(fieldsOf(nonsense)).toEqual(['input.version.gateObjects.0']);
      const suggested = /for example: (.*?);/.exec(nonsense.errors![0]!.message)![1]!.split(', ');
      expect(suggested.length).toBeGreaterThan(1);
      for (const label of suggested) expect(COCO_LABELS).toContain(label);
      expect(await templateCount()).toBe(before);
    });

    it.each([1.5, -0.1])('refuses gateMinConfidence %s', async (confidence) => {
      const response = await createTemplate({ gateMinConfidence: confidence });
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual(['input.version.gateMinConfidence']);
    });

    it('refuses more than 20 labels and accepts 20', async () => {
      const tooMany = await createTemplate({ gateObjects: COCO_LABELS.slice(0, 21) });
      expect(errorCodes(tooMany)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(tooMany)).toEqual(['input.version.gateObjects']);
      const twenty = await createTemplate({ gateObjects: COCO_LABELS.slice(0, 20) });
      expect(twenty.errors).toBeUndefined();
      expect(twenty.data!.createPromptTemplate.activeVersion.gateObjects).toEqual(COCO_LABELS.slice(0, 20));
    });

    it('validates and stores the gate of an added version too', async () => {
      const versionsBefore = await api.prisma.promptTemplateVersion.count({
        where: { templateId: f.ids.templateId },
      });
      const bad = await api.gql(
        ADD_VERSION,
        { templateId: f.ids.templateId, input: { ...SAMPLE_VERSION, gateObjects: ['dog', 'Dgo'] } },
        f.sessions.ADMIN,
      );
      expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(bad)).toEqual(['input.gateObjects.1']);
      expect(bad.errors![0]!.message).toMatch(/"Dgo" is not a known label .*did you mean "dog"\?/);
      expect(await api.prisma.promptTemplateVersion.count({ where: { templateId: f.ids.templateId } })).toBe(
        versionsBefore,
      );
      const good = await api.gql<{ addPromptTemplateVersion: Record<string, unknown> }>(
        ADD_VERSION,
        {
          templateId: f.ids.templateId,
          // Labels are stored trimmed and lower-case, once each.
          input: {
            ...SAMPLE_VERSION,
            gateObjects: [' Dog', 'cat', 'dog'],
            gateNsfw: true,
            gateMinConfidence: 0,
          },
        },
        f.sessions.ADMIN,
      );
      expect(good.errors).toBeUndefined();
      expect(good.data!.addPromptTemplateVersion).toMatchObject({
        gateObjects: ['dog', 'cat'],
        gateNsfw: true,
        gateMinConfidence: 0,
        reanalyseDegraded: false,
      });
    });
  });

  describe('GPU nodes (platform admins)', () => {
    const nodeKey = `node-api-key-${randomBytes(12).toString('hex')}`;
    const keyed = `gpu-keyed-${randomBytes(3).toString('hex')}`;
    const plain = `gpu-plain-${randomBytes(3).toString('hex')}`;
    const slashV1 = `gpu-v1-${randomBytes(3).toString('hex')}`;
    const texts: string[] = [];
    const messages: { name: string; change: string }[] = [];
    let subscriber: Redis;
    let keyedId: string;

    const gql = async <T>(
      query: string,
      variables: Record<string, unknown>,
      credential = platformToken,
      on = api,
    ) => {
      const response = await on.gql<T>(query, variables, credential);
      texts.push(JSON.stringify(response));
      return response;
    };
    const register = (input: Record<string, unknown>, on = api) =>
      gql<{ registerInferenceNode: NodeView }>(
        REGISTER,
        { input: { url: 'http://10.20.0.9:8000', model: 'qwen3-vl-8b-thinking', ...input } },
        platformToken,
        on,
      );
    const listNodes = async (): Promise<NodeView[]> => {
      const response = await gql<{ inferenceNodes: NodeView[] }>(NODES, {});
      expect(response.errors).toBeUndefined();
      return response.data!.inferenceNodes;
    };
    const nodeCount = () => api.prisma.inferenceNode.count();

    beforeAll(async () => {
      subscriber = createRedis(api.config.REDIS_URL, { name: 'inference-test-subscriber' });
      subscriber.on('message', (_channel: string, message: string) => {
        messages.push(JSON.parse(message) as { name: string; change: string });
      });
      await subscriber.subscribe(TOPICS.inferenceNodesChanged);
    });

    afterAll(async () => {
      await api.prisma.inferenceNode.deleteMany({ where: { name: { in: [keyed, plain, slashV1] } } });
      await subscriber?.quit();
    });

    it('refuses tenant users, even the tenant’s ADMIN, with FORBIDDEN', async () => {
      for (const credential of [f.sessions.ADMIN, f.apiKeys.ADMIN, f.sessions.AUDITOR]) {
        expect(errorCodes(await api.gql(NODES, {}, credential))).toEqual(['FORBIDDEN']);
        expect(
          errorCodes(
            await api.gql(REGISTER, { input: { name: plain, url: 'http://x', model: 'm' } }, credential),
          ),
        ).toEqual(['FORBIDDEN']);
      }
      expect(await api.prisma.inferenceNode.count({ where: { name: plain } })).toBe(0);
    });

    it.each([
      [{ name: 'GPU A' }, 'input.name'],
      [{ name: 'gpu-x', url: 'ftp://10.0.0.1/' }, 'input.url'],
      [{ name: 'gpu-x', url: 'http://user:pass@10.0.0.1:8000' }, 'input.url'],
      [{ name: 'gpu-x', url: 'http://10.0.0.1:8000/?token=1' }, 'input.url'],
      [{ name: 'gpu-x', url: 'not a url' }, 'input.url'],
      [{ name: 'gpu-x', maxConcurrency: 0 }, 'input.maxConcurrency'],
      [{ name: 'gpu-x', maxConcurrency: 1025 }, 'input.maxConcurrency'],
      [{ name: 'gpu-x', weight: 0 }, 'input.weight'],
      [{ name: 'gpu-x', weight: 1001 }, 'input.weight'],
      [{ name: 'gpu-x', model: ' ' }, 'input.model'],
    ])('refuses %j naming %s', async (input, field) => {
      const before = await nodeCount();
      const response = await register(input);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual([field]);
      expect(await nodeCount()).toBe(before);
    });

    it('registers a node with its key sealed: never in a response, the audit log or the logs', async () => {
      const auditBefore = await api.prisma.auditEvent.count({ where: { tenantId: platform.tenantId } });
      const response = await register({
        name: keyed,
        url: 'http://10.20.0.7:8000/',
        apiKey: nodeKey,
        maxConcurrency: 8,
        weight: 2.5,
      });
      expect(response.errors).toBeUndefined();
      const node = response.data!.registerInferenceNode;
      keyedId = node.id;
      expect(node).toMatchObject({
        name: keyed,
        url: 'http://10.20.0.7:8000',
        model: 'qwen3-vl-8b-thinking',
        maxConcurrency: 8,
        weight: 2.5,
        state: 'ACTIVE',
        source: 'REGISTRY',
        hasApiKey: true,
        problem: null,
        workersReporting: 0,
        healthy: null,
        breaker: null,
      });
      const row = await api.prisma.inferenceNode.findUniqueOrThrow({ where: { id: keyedId } });
      expect(row.apiKeyEncrypted).toMatch(/^v1\./);
      expect(row.apiKeyEncrypted).not.toContain(nodeKey);
      expect(openSecret(row.apiKeyEncrypted!, NODE_SECRET)).toBe(nodeKey);

      const audit = await api.prisma.auditEvent.findMany({
        where: { tenantId: platform.tenantId, action: 'inferenceNode.register' },
      });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actorId: platform.userIds.ADMIN,
        entityType: 'InferenceNode',
        entityId: keyedId,
        data: { name: keyed, hasApiKey: true, maxConcurrency: 8, weight: 2.5 },
      });
      expect(JSON.stringify(audit)).not.toContain(nodeKey);
      expect(await api.prisma.auditEvent.count({ where: { tenantId: platform.tenantId } })).toBe(
        auditBefore + 1,
      );
      await waitFor(
        () => messages.some((message) => message.name === keyed && message.change === 'registered'),
        5_000,
      );
    });

    it('stores a URL given with /v1 (as vLLM prints it) without it, so calls do not go to /v1/v1', async () => {
      const response = await register({ name: slashV1, url: 'http://10.20.0.11:8000/v1/' });
      expect(response.errors).toBeUndefined();
      expect(response.data!.registerInferenceNode.url).toBe('http://10.20.0.11:8000');
      const row = await api.prisma.inferenceNode.findUniqueOrThrow({ where: { name: slashV1 } });
      expect(row.url).toBe('http://10.20.0.11:8000');
      const bad = await register({ name: `${slashV1}-bad`, url: 'http://10.20.0.11:8000/v1?x=1' });
      expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(bad)).toEqual(['input.url']);
      await api.prisma.inferenceNode.delete({ where: { name: slashV1 } });
    });

    it('refuses a duplicate name, a registered one or one from VLLM_NODES, with CONFLICT', async () => {
      const before = await nodeCount();
      const duplicate = await register({ name: keyed });
      expect(errorCodes(duplicate)).toEqual(['CONFLICT']);
      const configured = await register({ name: CONFIG_NODE });
      expect(errorCodes(configured)).toEqual(['CONFLICT']);
      expect(configured.errors![0]!.message).toContain('VLLM_NODES');
      expect(await nodeCount()).toBe(before);
    });

    it('refuses an apiKey while INFERENCE_NODE_KEY_SECRET is empty, and registers without one', async () => {
      const before = await nodeCount();
      const refused = await register({ name: plain, apiKey: 'another-key' }, noSecretApi);
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(refused)).toEqual(['input.apiKey']);
      expect(refused.errors![0]!.message).toContain('INFERENCE_NODE_KEY_SECRET');
      expect(await nodeCount()).toBe(before);

      const accepted = await register({ name: plain }, noSecretApi);
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data!.registerInferenceNode).toMatchObject({
        name: plain,
        hasApiKey: false,
        problem: null,
      });
      expect(
        (await api.prisma.inferenceNode.findUniqueOrThrow({ where: { name: plain } })).apiKeyEncrypted,
      ).toBeNull();
    });

    it('lists config and registered nodes, aggregating every worker’s status report from Redis', async () => {
      const now = Date.now();
      const status = (name: string, overrides: Record<string, unknown>) => ({
        name,
        url: 'http://ignored',
        model: 'qwen3-vl-8b-thinking',
        source: 'registry',
        state: 'ACTIVE',
        healthy: true,
        breaker: 'closed',
        outstanding: 0,
        maxConcurrency: 8,
        running: null,
        waiting: null,
        kvCacheUsage: null,
        servedModels: [],
        lastError: null,
        ...overrides,
      });
      const workers = [`w1-${randomUUID()}`, `w2-${randomUUID()}`, `w3-${randomUUID()}`];
      await api.redis.set(
        NODE_STATUS_KEY_PREFIX + workers[0],
        JSON.stringify({
          workerId: workers[0],
          at: new Date(now - 2_000).toISOString(),
          nodes: [
            status(keyed, {
              healthy: false,
              breaker: 'open',
              outstanding: 2,
              running: 3,
              waiting: 1,
              kvCacheUsage: 0.4,
              lastError: 'timed out',
            }),
            status(CONFIG_NODE, { source: 'config', outstanding: 1 }),
          ],
        }),
        'EX',
        60,
      );
      await api.redis.set(
        NODE_STATUS_KEY_PREFIX + workers[1],
        JSON.stringify({
          workerId: workers[1],
          at: now,
          nodes: [
            status(keyed, { breaker: 'half-open', outstanding: 5, running: 4, kvCacheUsage: 0.2 }),
            status(CONFIG_NODE, { source: 'config', healthy: false, outstanding: 3, lastError: 'refused' }),
          ],
        }),
        'EX',
        60,
      );
      await api.redis.set(NODE_STATUS_KEY_PREFIX + workers[2], 'not json', 'EX', 60);
      try {
        const nodes = await listNodes();
        const byName = new Map(nodes.map((node) => [node.name, node]));
        expect(byName.get(CONFIG_NODE)).toMatchObject({
          id: `config:${CONFIG_NODE}`,
          url: 'http://10.20.0.1:8000',
          source: 'CONFIG',
          state: 'ACTIVE',
          hasApiKey: true,
          maxConcurrency: 16,
          weight: 1,
          workersReporting: 2,
          healthy: true,
          breaker: 'CLOSED',
          outstanding: 4,
          lastError: 'refused',
        });
        expect(byName.get(keyed)).toMatchObject({
          id: keyedId,
          source: 'REGISTRY',
          workersReporting: 2,
          healthy: true,
          breaker: 'OPEN',
          outstanding: 7,
          running: 4,
          waiting: 1,
          kvCacheUsage: 0.4,
          lastError: 'timed out',
          reportedAt: new Date(now).toISOString(),
        });
        expect(byName.get(plain)).toMatchObject({
          workersReporting: 0,
          healthy: null,
          breaker: null,
          outstanding: 0,
          running: null,
          reportedAt: null,
        });
        // Config nodes first, in VLLM_NODES order.
        expect(nodes[0]!.name).toBe(CONFIG_NODE);
      } finally {
        await api.redis.del(...workers.map((worker) => NODE_STATUS_KEY_PREFIX + worker));
      }
    });

    it('lists the nodes workers take from their own VLLM_NODES, even on an API process without it, and refuses their names', async () => {
      const workerNode = `gpu-worker-${randomBytes(3).toString('hex')}`;
      const workerKey = `worker-node-key-${randomBytes(8).toString('hex')}`;
      const workerId = `w-${randomUUID()}`;
      // A worker's own pool, with a node only its VLLM_NODES names; nothing listens at its URL.
      const pool = new NodePool({
        pollIntervalMs: 60_000,
        breakerFailures: 3,
        breakerOpenMs: 1_000,
        logger: pino({ level: 'silent' }),
      });
      pool.setDefinitions([
        {
          name: workerNode,
          url: 'http://127.0.0.1:9',
          apiKey: workerKey,
          model: 'qwen3-vl-8b-thinking',
          maxConcurrency: 6,
          weight: 2,
          state: 'ACTIVE',
          source: 'config',
        },
      ]);
      await pool.pollNow();
      await publishNodeStatus(api.redis, workerId, pool.status(), 60_000);
      await pool.close();
      const bareApi = await startTestApi({});
      try {
        expect(await api.redis.get(NODE_STATUS_KEY_PREFIX + workerId)).not.toContain(workerKey);
        for (const on of [bareApi, api]) {
          const response = await gql<{ inferenceNodes: NodeView[] }>(NODES, {}, platformToken, on);
          expect(response.errors).toBeUndefined();
          const listed = response.data!.inferenceNodes.find((node) => node.name === workerNode);
          expect(listed).toMatchObject({
            id: `config:${workerNode}`,
            url: 'http://127.0.0.1:9',
            model: 'qwen3-vl-8b-thinking',
            source: 'CONFIG',
            state: 'ACTIVE',
            maxConcurrency: 6,
            weight: 2,
            hasApiKey: true,
            problem: null,
            workersReporting: 1,
            healthy: false,
          });
          expect(listed!.lastError).toMatch(/^\/health: connection failed/);
          expect(JSON.stringify(response)).not.toContain(workerKey);
        }
        const refused = await register({ name: workerNode });
        expect(errorCodes(refused)).toEqual(['CONFLICT']);
        expect(await api.prisma.inferenceNode.count({ where: { name: workerNode } })).toBe(0);
      } finally {
        await bareApi.stop();
        await api.redis.del(NODE_STATUS_KEY_PREFIX + workerId);
      }
    });

    it('drains and activates a registered node, once each, telling the workers', async () => {
      const auditOf = (action: string) =>
        api.prisma.auditEvent.count({ where: { tenantId: platform.tenantId, action, entityId: keyedId } });
      const drained = await gql<{ drainInferenceNode: NodeView }>(NODE_CHANGE('drainInferenceNode'), {
        nodeId: keyedId,
      });
      expect(drained.data!.drainInferenceNode).toMatchObject({ id: keyedId, state: 'DRAINING' });
      expect((await api.prisma.inferenceNode.findUniqueOrThrow({ where: { id: keyedId } })).state).toBe(
        'DRAINING',
      );
      const again = await gql<{ drainInferenceNode: NodeView }>(NODE_CHANGE('drainInferenceNode'), {
        nodeId: keyedId,
      });
      expect(again.data!.drainInferenceNode.state).toBe('DRAINING');
      expect(await auditOf('inferenceNode.drain')).toBe(1);
      await waitFor(
        () => messages.some((message) => message.name === keyed && message.change === 'drained'),
        5_000,
      );

      const active = await gql<{ activateInferenceNode: NodeView }>(NODE_CHANGE('activateInferenceNode'), {
        nodeId: keyedId,
      });
      expect(active.data!.activateInferenceNode.state).toBe('ACTIVE');
      expect(await auditOf('inferenceNode.activate')).toBe(1);
      await waitFor(
        () => messages.some((message) => message.name === keyed && message.change === 'activated'),
        5_000,
      );
      expect(
        messages.filter((message) => message.name === keyed && message.change === 'drained'),
      ).toHaveLength(1);
    });

    it('refuses to change a config node, and answers NOT_FOUND for an unknown one', async () => {
      const config = await gql(NODE_CHANGE('drainInferenceNode'), { nodeId: `config:${CONFIG_NODE}` });
      expect(errorCodes(config)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(config)).toEqual(['nodeId']);
      expect(config.errors![0]!.message).toContain('VLLM_NODES');
      expect(errorCodes(await gql(REMOVE, { nodeId: `config:${CONFIG_NODE}` }))).toEqual(['BAD_USER_INPUT']);
      expect(errorCodes(await gql(NODE_CHANGE('activateInferenceNode'), { nodeId: randomUUID() }))).toEqual([
        'NOT_FOUND',
      ]);
      expect(errorCodes(await gql(REMOVE, { nodeId: randomUUID() }))).toEqual(['NOT_FOUND']);
    });

    it('loads config and registered nodes for the workers, skipping what cannot be used', async () => {
      await api.prisma.inferenceNode.update({ where: { id: keyedId }, data: { state: 'DRAINING' } });
      const other = `gpu-other-secret-${randomBytes(3).toString('hex')}`;
      await api.prisma.inferenceNode.createMany({
        data: [
          {
            name: other,
            url: 'http://10.20.0.8:8000',
            apiKeyEncrypted: sealSecret('k', 'a different secret'),
            modelName: 'm',
            maxConcurrency: 2,
          },
        ],
      });
      const problems: NodeRegistryProblem[] = [];
      const config = { VLLM_NODES, INFERENCE_NODE_KEY_SECRET: NODE_SECRET };
      const nodes = await loadNodeDefinitions(api.prisma, config, (found) => problems.push(...found));
      const mine = nodes.filter((node) => [CONFIG_NODE, keyed, plain, other].includes(node.name));
      // VLLM_NODES first, then registered nodes by name (keyed < plain).
      expect(mine).toEqual([
        {
          name: CONFIG_NODE,
          url: 'http://10.20.0.1:8000',
          apiKey: CONFIG_NODE_KEY,
          model: 'qwen3-vl-8b-thinking',
          maxConcurrency: 16,
          weight: 1,
          state: 'ACTIVE',
          source: 'config',
        },
        {
          name: keyed,
          url: 'http://10.20.0.7:8000',
          apiKey: nodeKey,
          model: 'qwen3-vl-8b-thinking',
          maxConcurrency: 8,
          weight: 2.5,
          state: 'DRAINING',
          source: 'registry',
        },
        {
          name: plain,
          url: 'http://10.20.0.9:8000',
          apiKey: null,
          model: 'qwen3-vl-8b-thinking',
          maxConcurrency: 16,
          weight: 1,
          state: 'ACTIVE',
          source: 'registry',
        },
      ]);
      expect(problems.filter((problem) => [keyed, plain, other].includes(problem.name))).toEqual([
        { name: other, problem: expect.stringContaining('cannot be decrypted') },
      ]);

      // Without the secret, the keyed node is skipped too; the keyless one is still used.
      const withoutSecret: NodeRegistryProblem[] = [];
      const noKeyNodes = await loadNodeDefinitions(
        api.prisma,
        { ...config, INFERENCE_NODE_KEY_SECRET: '' },
        (found) => withoutSecret.push(...found),
      );
      expect(noKeyNodes.map((node) => node.name)).toEqual(expect.arrayContaining([CONFIG_NODE, plain]));
      expect(noKeyNodes.map((node) => node.name)).not.toContain(keyed);
      expect(withoutSecret.map((problem) => problem.name)).toEqual(expect.arrayContaining([keyed, other]));

      // The API shows the same reason to platform admins.
      const listed = (await listNodes()).find((node) => node.name === other);
      expect(listed?.problem).toContain('cannot be decrypted');

      await expect(
        loadNodeDefinitions(api.prisma, { ...config, VLLM_NODES: '[{"name":"A"}]' }),
      ).rejects.toThrow(/VLLM_NODES/);
      await api.prisma.inferenceNode.delete({ where: { name: other } });
    });

    it('removes a registered node, audited, and the list no longer has it', async () => {
      const removed = await gql<{ removeInferenceNode: string }>(REMOVE, { nodeId: keyedId });
      expect(removed.data).toEqual({ removeInferenceNode: keyedId });
      expect(await api.prisma.inferenceNode.count({ where: { id: keyedId } })).toBe(0);
      expect((await listNodes()).map((node) => node.name)).not.toContain(keyed);
      expect(
        await api.prisma.auditEvent.count({
          where: { tenantId: platform.tenantId, action: 'inferenceNode.remove', entityId: keyedId },
        }),
      ).toBe(1);
      await waitFor(
        () => messages.some((message) => message.name === keyed && message.change === 'removed'),
        5_000,
      );
      expect(errorCodes(await gql(REMOVE, { nodeId: keyedId }))).toEqual(['NOT_FOUND']);
    });

    it('never showed a node key in any response or log line', () => {
      expect(texts.length).toBeGreaterThan(20);
      for (const key of [nodeKey, CONFIG_NODE_KEY]) {
        expect(texts.filter((text) => text.includes(key))).toEqual([]);
        expect(api.logLines.filter((line) => line.includes(key))).toEqual([]);
      }
    });
  });
});
