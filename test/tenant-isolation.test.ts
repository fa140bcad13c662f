import { GraphQLInputType, GraphQLSchema, getNamedType, isEnumType } from 'graphql';
import type { Role } from '../src/generated/prisma/enums';
import { TENANT_OWNED_MODELS } from '../src/db/tenant-scoped-db';
import { buildVigilSchema } from '../src/api/build-schema';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { buildDocument, rootOperations, SchemaOperation, ValueFor } from './support/schema-operations';
import { createTenantFixture, ROLES, TenantFixture, uniqueSlug } from './support/tenant-fixture';

/**
 * Tenant isolation and roles, for EVERY operation of the schema.
 *
 * The table below is this test's own statement of who may call what; it is deliberately not read
 * from the resolvers' decorators. An operation added to the schema without a row here fails the
 * first test, so nobody has to remember to cover it.
 */
type Access = Role[] | 'platform' | 'anyone';
const ALL: Role[] = ['ADMIN', 'MODERATOR', 'AUDITOR'];
const READERS: Role[] = ['ADMIN', 'AUDITOR'];
const ADMIN: Role[] = ['ADMIN'];
const CONTROLLERS: Role[] = ['ADMIN', 'MODERATOR'];

const ACCESS: Record<string, Access> = {
  'query.me': ALL,
  'query.myTenant': ALL,
  'query.tenants': 'platform',
  'query.users': READERS,
  'query.user': READERS,
  'query.apiKeys': READERS,
  'query.streams': ALL,
  'query.stream': ALL,
  'query.promptTemplates': ALL,
  'query.promptTemplate': ALL,
  'query.promptTemplateVersion': ALL,
  'query.promptPreview': ALL,
  'query.rules': ALL,
  'query.rule': ALL,
  'query.auditEvents': READERS,
  'query.verifyAuditChain': READERS,
  'query.auditChainVerification': READERS,
  'query.auditChainVerifications': READERS,
  'query.auditAnchors': READERS,
  'query.auditAnchorKey': READERS,
  'query.incidentReport': READERS,
  'query.analysisReport': READERS,
  'query.window': ALL,
  'query.analysis': ALL,
  'query.incidents': ALL,
  'query.incident': ALL,
  'query.backtestRule': READERS,
  'query.usage': READERS,
  'query.inferenceNodes': 'platform',
  'query.reviewItems': ALL,
  'query.reviewItem': ALL,
  'query.reviewQueues': ALL,
  'query.reviewNotes': ALL,
  'query.policyReasons': ALL,
  'query.webhookEndpoints': READERS,
  'query.webhookDeliveries': READERS,
  'mutation.login': 'anyone',
  'mutation.logout': ALL,
  'mutation.changePassword': ALL,
  'mutation.createTenant': 'platform',
  'mutation.updateTenantQuotas': 'platform',
  'mutation.updateTenantSettings': ADMIN,
  'mutation.setCustomLabels': ADMIN,
  'mutation.setDefaultTemplate': ADMIN,
  'mutation.registerInferenceNode': 'platform',
  'mutation.drainInferenceNode': 'platform',
  'mutation.activateInferenceNode': 'platform',
  'mutation.removeInferenceNode': 'platform',
  'mutation.createUser': ADMIN,
  'mutation.updateUser': ADMIN,
  'mutation.deleteUser': ADMIN,
  'mutation.resetUserPassword': ADMIN,
  'mutation.createApiKey': ADMIN,
  'mutation.revokeApiKey': ADMIN,
  'mutation.createStream': ADMIN,
  'mutation.updateStream': ADMIN,
  'mutation.deleteStream': ADMIN,
  'mutation.archiveStream': ADMIN,
  'mutation.startStream': CONTROLLERS,
  'mutation.pauseStream': CONTROLLERS,
  'mutation.stopStream': CONTROLLERS,
  'mutation.saveStreamScene': ADMIN,
  'mutation.createPromptTemplate': ADMIN,
  'mutation.addPromptTemplateVersion': ADMIN,
  'mutation.activatePromptTemplateVersion': ADMIN,
  'mutation.createRule': ADMIN,
  'mutation.updateRule': ADMIN,
  'mutation.enableRule': ADMIN,
  'mutation.disableRule': ADMIN,
  'mutation.deleteRule': ADMIN,
  'mutation.setReviewQueue': ADMIN,
  'mutation.claimReviewItem': CONTROLLERS,
  'mutation.claimNextReviewItem': CONTROLLERS,
  'mutation.renewReviewClaim': CONTROLLERS,
  'mutation.releaseReviewItem': CONTROLLERS,
  'mutation.holdReviewItem': CONTROLLERS,
  'mutation.decideReviewItem': CONTROLLERS,
  'mutation.reassignReviewItem': CONTROLLERS,
  'mutation.reopenReviewItem': CONTROLLERS,
  'mutation.addReviewNote': CONTROLLERS,
  'mutation.createPolicyReason': ADMIN,
  'mutation.updatePolicyReason': ADMIN,
  'mutation.archivePolicyReason': ADMIN,
  'mutation.createWebhookEndpoint': ADMIN,
  'mutation.updateWebhookEndpoint': ADMIN,
  'mutation.rotateWebhookSecret': ADMIN,
  'mutation.deleteWebhookEndpoint': ADMIN,
  'mutation.retryWebhookDelivery': ADMIN,
  // Starting a verification changes nothing in the tenant's data: it reads the chain and records
  // the outcome, as an auditor must be able to.
  'mutation.startAuditChainVerification': READERS,
};

/** Mutations an auditor may call: they read, and record only that they did. */
const AUDITOR_MUTATIONS = new Set(['login', 'logout', 'changePassword', 'startAuditChainVerification']);

/** Valid values for numeric fields, so that probes fail on tenancy or role, not on validation. */
const NUMBERS: Record<string, number> = {
  first: 10,
  fps: 1,
  maxWidth: 448,
  ssimThreshold: 0.9,
  windowSize: 8,
  windowStride: 4,
  temperature: 0.6,
  topP: 0.9,
  topK: 20,
  presencePenalty: 0,
  maxCompletionTokens: 4096,
  thinkingTokenBudget: 1024,
  priority: 1,
  cooldownSeconds: 60,
  leaseSeconds: 60,
  claimWithinSeconds: 300,
  decideWithinSeconds: 900,
  maxActiveStreams: 5,
  maxFps: 2,
  monthlyTokenBudget: 1000,
  frameRetentionDays: 7,
  gateMinConfidence: 0.5,
  maxConcurrency: 4,
  weight: 1,
};

/** Every id-typed argument or input field must be named after what it identifies. */
type IdName = keyof TenantFixture['ids'];
const ID_NAMES: IdName[] = [
  'tenantId',
  'userId',
  'apiKeyId',
  'streamId',
  'templateId',
  'versionId',
  'ruleId',
  'windowId',
  'analysisId',
  'incidentId',
  'reviewItemId',
  'policyReasonId',
  'nodeId',
  'webhookEndpointId',
  'webhookDeliveryId',
  'verificationId',
];

function sampleLeaf(operation: SchemaOperation, ids: TenantFixture['ids'], target: TenantFixture): ValueFor {
  return (path: string[], type: GraphQLInputType) => {
    const name = path.at(-1)!;
    const named = getNamedType(type);
    if (named.name === 'ID') {
      if (!ID_NAMES.includes(name as IdName))
        throw new Error(`No id mapping for ${path.join('.')}: name it after its entity`);
      return ids[name as IdName];
    }
    const number = NUMBERS[name];
    if (number !== undefined) return number;
    switch (name) {
      case 'after':
        return undefined;
      case 'tenantSlug':
        return target.slug;
      case 'email':
      case 'adminEmail':
        // login probes the other tenant's real admin account; everything else creates new addresses
        return operation.name === 'login'
          ? `admin@${target.slug}.test`
          : `new-${uniqueSlug('u')}@example.test`;
      case 'password':
        return 'not the right password';
      case 'slug':
        return uniqueSlug('probe');
      case 'sourceUrl':
        return 'rtsp://camera.example.net/probe';
      case 'condition':
        return { object: { label: 'person' } };
      case 'action':
        return { type: 'review' };
      case 'systemText':
        return 'Fixed system text.';
      case 'instructionText':
        return 'Describe {{thing}}.';
      case 'variables':
        return { thing: 'the lawn' };
      case 'gateObjects':
        return 'person';
      case 'labels':
        return 'forklift';
      case 'month':
        return new Date().toISOString().slice(0, 7);
      case 'url':
        return 'http://gpu.example.net:8000';
      case 'events':
        return 'stream.stopped';
      // A scene that would save, so that only the stream's tenant or the caller's role refuses it.
      case 'zones':
        return [
          {
            name: 'Probe zone',
            polygon: [
              { x: 0.1, y: 0.1 },
              { x: 0.4, y: 0.1 },
              { x: 0.4, y: 0.4 },
            ],
            labels: ['person'],
          },
        ];
      case 'lines':
        return [{ name: 'Probe line', from: { x: 0.5, y: 0.5 }, to: { x: 0.9, y: 0.5 }, labels: [] }];
      case 'name':
        return operation.name === 'registerInferenceNode' ? uniqueSlug('gpu') : `probe ${uniqueSlug('s')}`;
    }
    // The name, which a client sends (an enum's internal value may differ, as ApiKeyScope's does).
    if (isEnumType(named)) return named.getValues()[0]!.name;
    if (named.name === 'String') return `probe ${uniqueSlug('s')}`;
    if (named.name === 'Boolean') return true;
    if (named.name === 'Int') return 1;
    if (named.name === 'Float') return 1;
    return undefined;
  };
}

/** Every row a tenant owns, minus lastUsedAt (bookkeeping that a caller's own key legitimately updates). */
async function snapshotTenant(api: TestApi, tenantId: string): Promise<unknown> {
  const tables: Record<string, unknown> = {
    Tenant: await api.prisma.tenant.findUnique({ where: { id: tenantId } }),
  };
  for (const model of TENANT_OWNED_MODELS) {
    const delegate = (
      api.prisma as unknown as Record<string, { findMany(args: object): Promise<unknown[]> }>
    )[model[0]!.toLowerCase() + model.slice(1)]!;
    tables[model] = await delegate.findMany({ where: { tenantId }, orderBy: { id: 'asc' } });
  }
  return JSON.parse(
    JSON.stringify(tables, (key, value) =>
      key === 'lastUsedAt' ? undefined : typeof value === 'bigint' ? value.toString() : value,
    ),
  );
}

function secretsOf(fixture: TenantFixture): string[] {
  return [...Object.values(fixture.ids), fixture.slug, ...Object.values(fixture.userIds)];
}

describe('tenant isolation and roles across every operation', () => {
  let api: TestApi;
  let schema: GraphQLSchema;
  let a: TenantFixture;
  let b: TenantFixture;
  let operations: SchemaOperation[];

  beforeAll(async () => {
    api = await startTestApi();
    schema = await buildVigilSchema();
    operations = rootOperations(schema).sort(
      (x, y) => Number(x.name === 'logout') - Number(y.name === 'logout'),
    );
    [a, b] = await Promise.all([createTenantFixture(api, 'iso-a'), createTenantFixture(api, 'iso-b')]);
  }, 60_000);

  afterAll(() => api.stop());

  it('has an access rule for exactly the operations the schema has', () => {
    const inSchema = operations.map((op) => `${op.kind}.${op.name}`).sort();
    expect(inSchema).toEqual(Object.keys(ACCESS).sort());
  });

  it('refuses every role an operation does not allow, even on its own tenant’s ids, and changes nothing', async () => {
    const before = await snapshotTenant(api, a.tenantId);
    let checked = 0;
    for (const operation of operations) {
      const access = ACCESS[`${operation.kind}.${operation.name}`]!;
      if (access === 'anyone') continue;
      const refused = ROLES.filter((role) => access === 'platform' || !access.includes(role));
      for (const role of refused) {
        for (const credential of [a.sessions[role], a.apiKeys[role]]) {
          const { query, variables } = buildDocument(operation, sampleLeaf(operation, a.ids, a));
          const response = await api.gql(query, variables, credential);
          expect({ op: operation.name, role, codes: errorCodes(response) }).toEqual({
            op: operation.name,
            role,
            codes: ['FORBIDDEN'],
          });
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(40);
    expect(await snapshotTenant(api, a.tenantId)).toEqual(before);
  }, 120_000);

  it('lets an auditor change nothing but their own session: every mutation but login, logout, changePassword and starting a chain verification is FORBIDDEN to AUDITOR', async () => {
    const mutations = operations.filter((op) => op.kind === 'mutation');
    expect(mutations.length).toBeGreaterThan(40);
    const before = await snapshotTenant(api, a.tenantId);
    for (const operation of mutations) {
      if (AUDITOR_MUTATIONS.has(operation.name)) continue;
      expect({ op: operation.name, access: ACCESS[`mutation.${operation.name}`] }).not.toEqual({
        op: operation.name,
        access: expect.arrayContaining(['AUDITOR']),
      });
      for (const credential of [a.sessions.AUDITOR, a.apiKeys.AUDITOR]) {
        const { query, variables } = buildDocument(operation, sampleLeaf(operation, a.ids, a));
        const response = await api.gql(query, variables, credential);
        expect({ op: operation.name, codes: errorCodes(response) }).toEqual({
          op: operation.name,
          codes: ['FORBIDDEN'],
        });
      }
    }
    expect(await snapshotTenant(api, a.tenantId)).toEqual(before);
  }, 60_000);

  it('refuses anonymous callers everywhere but login', async () => {
    for (const operation of operations) {
      const { query, variables } = buildDocument(operation, sampleLeaf(operation, b.ids, b));
      const response = await api.gql(query, variables);
      expect({ op: operation.name, codes: errorCodes(response) }).toEqual({
        op: operation.name,
        codes: ['UNAUTHENTICATED'],
      });
    }
  });

  it("never reads or changes another tenant's data, whatever the role or credential", async () => {
    const before = await snapshotTenant(api, b.tenantId);
    const forbiddenStrings = secretsOf(b);
    const callers = ROLES.flatMap((role) => [
      { label: `${role} session`, role, credential: a.sessions[role] },
      { label: `${role} api key`, role, credential: a.apiKeys[role] },
    ]);
    let crossTenantCalls = 0;
    for (const operation of operations) {
      const access = ACCESS[`${operation.kind}.${operation.name}`]!;
      for (const caller of callers) {
        const { query, variables } = buildDocument(operation, sampleLeaf(operation, b.ids, b));
        const namesB = JSON.stringify(variables)
          .split('"')
          .some((token) => forbiddenStrings.includes(token));
        const response = await api.gql(query, variables, caller.credential);
        const codes = errorCodes(response);
        const context = { op: operation.name, caller: caller.label };

        expect({
          ...context,
          leaked: forbiddenStrings.filter((s) => JSON.stringify(response.data ?? null).includes(s)),
        }).toEqual({ ...context, leaked: [] });
        expect({ ...context, internal: codes.includes('INTERNAL_SERVER_ERROR') }).toEqual({
          ...context,
          internal: false,
        });

        if (access === 'anyone') {
          // login with the other tenant's slug and admin e-mail, without its password
          expect({ ...context, codes }).toEqual({ ...context, codes: ['UNAUTHENTICATED'] });
        } else if (access === 'platform' || !access.includes(caller.role)) {
          expect({ ...context, codes }).toEqual({ ...context, codes: ['FORBIDDEN'] });
        } else if (namesB) {
          crossTenantCalls += 1;
          expect({ ...context, codes }).toEqual({ ...context, codes: ['NOT_FOUND'] });
        }
      }
    }
    expect(crossTenantCalls).toBeGreaterThan(30);
    expect(await snapshotTenant(api, b.tenantId)).toEqual(before);
  }, 180_000);

  it('lets a platform admin manage tenants but still not reach into their data', async () => {
    const p = await createTenantFixture(api, 'iso-platform');
    await api.prisma.user.update({ where: { id: p.userIds.ADMIN }, data: { isPlatformAdmin: true } });
    const token = p.sessions.ADMIN;

    const tenants = await api.gql<{ tenants: { edges: { node: { id: string } }[] } }>(
      '{ tenants(first: 100) { edges { node { id slug } } } }',
      {},
      token,
    );
    expect(tenants.errors).toBeUndefined();
    expect(tenants.data!.tenants.edges.length).toBeGreaterThanOrEqual(2);

    const before = await snapshotTenant(api, b.tenantId);
    for (const operation of operations) {
      const access = ACCESS[`${operation.kind}.${operation.name}`]!;
      if (access === 'platform' || access === 'anyone' || operation.name === 'logout') continue;
      const { query, variables } = buildDocument(operation, sampleLeaf(operation, b.ids, b));
      if (!Object.values(b.ids).some((id) => JSON.stringify(variables).includes(id))) continue;
      const response = await api.gql(query, variables, token);
      expect({ op: operation.name, codes: errorCodes(response) }).toEqual({
        op: operation.name,
        codes: ['NOT_FOUND'],
      });
    }
    expect(await snapshotTenant(api, b.tenantId)).toEqual(before);
  }, 120_000);
});
