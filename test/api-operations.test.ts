import { randomUUID } from 'node:crypto';
import { getNamedType, GraphQLObjectType, GraphQLSchema, isLeafType } from 'graphql';
import { buildVigilSchema } from '../src/api/build-schema';
import { STREAM_COLUMNS } from '../src/resolvers/stream.resolver';
import { errorCodes, errorReasons, GraphQLResponse, startTestApi, TestApi } from './support/api-harness';
import { bearer, getRaw, gqlWithHeaders } from './support/raw-http';
import { createTenantFixture, PASSWORD, SAMPLE_VERSION, TenantFixture } from './support/tenant-fixture';

/**
 * Operations: health, readiness, metrics and request ids; logs that keep secrets out; the audit log;
 * and the behaviour of streams, templates, rules and pagination through the real API.
 */

const CREATE_STREAM = `mutation ($input: CreateStreamInput!) { createStream(input: $input) { id name status } }`;
const TRANSITION = (name: 'startStream' | 'pauseStream' | 'stopStream') =>
  `mutation ($id: ID!) { ${name}(streamId: $id) { id status } }`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The value of one Prometheus sample, or 0 when the series does not exist yet. */
function sample(metrics: string, name: string, labels: string): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('operations', () => {
  let api: TestApi;
  let f: TenantFixture;
  let admin: string;

  const createStream = async (
    name = `cam ${randomUUID().slice(0, 8)}`,
    credential = admin,
  ): Promise<string> => {
    const response = await api.gql<{ createStream: { id: string } }>(
      CREATE_STREAM,
      { input: { name, sourceUrl: 'rtsp://camera.example.net/live', start: false } },
      credential,
    );
    expect(response.errors).toBeUndefined();
    return response.data!.createStream.id;
  };

  beforeAll(async () => {
    api = await startTestApi({}, { captureLogs: true });
    f = await createTenantFixture(api, 'ops');
    admin = f.sessions.ADMIN;
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  });

  describe('health, readiness, metrics and request ids', () => {
    it('answers /healthz with 200', async () => {
      const response = await getRaw(api, '/healthz');
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({ status: 'ok' });
    });

    it('answers /readyz with 200 when PostgreSQL and Redis are reachable', async () => {
      const response = await getRaw(api, '/readyz');
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({ status: 'ready', postgres: 'ok', redis: 'ok' });
    });

    it('serves Prometheus metrics, counting GraphQL errors by code', async () => {
      const before = (await getRaw(api, '/metrics')).text;
      await api.gql('{ stream(streamId: "abc") { id } }', {}, admin);
      await api.gql('{ stream(streamId: "abc") { id } }', {}, admin);
      await api.gql(`{ stream(streamId: "${randomUUID()}") { id } }`, {}, admin);
      await api.gql('{ myTenant { id } }');

      const response = await getRaw(api, '/metrics');
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/plain/);
      const after = response.text;
      expect(after).toContain('vigil_http_request_duration_seconds_bucket');
      expect(after).toMatch(/vigil_http_request_duration_seconds_count\{[^}]*status="200"/);
      expect(after).toContain('# TYPE vigil_graphql_errors_total counter');
      const delta = (code: string) =>
        sample(after, 'vigil_graphql_errors_total', `code="${code}"`) -
        sample(before, 'vigil_graphql_errors_total', `code="${code}"`);
      expect(delta('BAD_USER_INPUT')).toBe(2);
      expect(delta('NOT_FOUND')).toBe(1);
      expect(delta('UNAUTHENTICATED')).toBe(1);
      expect(after).toContain('vigil_graphql_operation_duration_seconds');
    });

    it('keeps metrics bounded whatever operation names anonymous callers send', async () => {
      const before = (await getRaw(api, '/metrics')).text;
      for (let i = 0; i < 200; i += 1) {
        await api.gql(`query Probe${randomUUID().replaceAll('-', '')} { myTenant { id } }`);
      }
      const after = (await getRaw(api, '/metrics')).text;
      expect(after).not.toMatch(/Probe[0-9a-f]{32}/);
      // One series for the root field, however many names were sent: the text grows by counts only.
      expect(after.length - before.length).toBeLessThan(4_000);
      expect(after).toMatch(/vigil_graphql_operation_duration_seconds_count\{[^}]*root_field="myTenant"/);
    });

    it('labels HTTP metrics with the route, never with an arbitrary request path', async () => {
      const junk = `/no-such-page-${randomUUID()}`;
      expect((await getRaw(api, junk)).status).toBe(404);
      await getRaw(api, `/graphql/${randomUUID()}`);
      await api.gql('{ me { id } }', {}, admin);
      const metrics = (await getRaw(api, '/metrics')).text;
      const routes = new Set(
        [...metrics.matchAll(/^vigil_http_request_duration_seconds_count\{[^}]*route="([^"]*)"/gm)].map(
          (m) => m[1] ?? '',
        ),
      );
      // a label per distinct URL would grow without bound (one series per probe or typo)
      expect(
        [...routes].filter((route) => route.includes('no-such-page') || /[0-9a-f]{8}-/.test(route)),
      ).toEqual([]);
      expect(routes.has('/graphql')).toBe(true);
    });

    it('returns an x-request-id, and echoes a valid incoming one', async () => {
      const fresh = await gqlWithHeaders(api, '{ me { id } }', {}, bearer(admin));
      expect(fresh.headers.get('x-request-id')).toMatch(UUID);

      const mine = `trace-${randomUUID().slice(0, 8)}`;
      const echoed = await gqlWithHeaders(
        api,
        '{ me { id } }',
        {},
        { ...bearer(admin), 'x-request-id': mine },
      );
      expect(echoed.headers.get('x-request-id')).toBe(mine);

      const health = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': mine } });
      expect(health.headers.get('x-request-id')).toBe(mine);
    });

    it('replaces an incoming x-request-id that is not a plain token', async () => {
      for (const bad of ['has spaces in it', 'x'.repeat(65), 'semi;colon', '']) {
        const response = await gqlWithHeaders(
          api,
          '{ me { id } }',
          {},
          { ...bearer(admin), 'x-request-id': bad },
        );
        expect(response.headers.get('x-request-id')).toMatch(UUID);
      }
    });
  });

  describe('logs keep secrets out', () => {
    it('never logs the password, the session token or the API key, and every request line has a request id', async () => {
      const from = api.logLines.length;
      const email = `admin@${f.slug}.test`;
      const login = await gqlWithHeaders<{ login: { token: string } }>(
        api,
        'mutation ($input: LoginInput!) { login(input: $input) { token } }',
        { input: { tenantSlug: f.slug, email, password: PASSWORD } },
        { 'x-request-id': 'login-request' },
      );
      expect(login.errors).toBeUndefined();
      const token = login.data!.login.token;

      const wrong = await api.gql('mutation ($input: LoginInput!) { login(input: $input) { token } }', {
        input: { tenantSlug: f.slug, email, password: `${PASSWORD}!` },
      });
      expect(errorCodes(wrong)).toEqual(['UNAUTHENTICATED']);

      const apiKey = f.apiKeys.ADMIN;
      expect((await gqlWithHeaders(api, '{ myTenant { id } }', {}, bearer(apiKey))).errors).toBeUndefined();
      expect(
        (await gqlWithHeaders(api, '{ myTenant { id } }', {}, { 'x-api-key': apiKey })).errors,
      ).toBeUndefined();
      expect((await gqlWithHeaders(api, '{ me { id } }', {}, bearer(token))).errors).toBeUndefined();
      // a failing request with a credential, and one that errors inside GraphQL
      await gqlWithHeaders(api, '{ stream(streamId: "abc") { id } }', {}, bearer(token));
      await gqlWithHeaders(api, '{ me { id } }', {}, bearer(`${apiKey.slice(0, -1)}x`));
      const created = await api.gql<{ createApiKey: { secret: string } }>(
        'mutation { createApiKey(input: { name: "logged?", role: AUDITOR }) { secret } }',
        {},
        token,
      );
      const newSecret = created.data!.createApiKey.secret;
      await new Promise((resolve) => setTimeout(resolve, 50));

      const lines = api.logLines.slice(from);
      expect(lines.length).toBeGreaterThanOrEqual(7);
      const secrets = {
        password: PASSWORD,
        token,
        tokenBody: token.slice(4),
        apiKey,
        apiKeySecret: apiKey.split('_').slice(2).join('_'),
        newSecret,
      };
      for (const [name, secret] of Object.entries(secrets)) {
        expect({ name, leaked: lines.filter((line) => line.includes(secret)) }).toEqual({ name, leaked: [] });
      }

      const requestLines = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((l) => l.req);
      expect(requestLines.length).toBeGreaterThanOrEqual(7);
      for (const line of requestLines) {
        const req = line.req as { id?: unknown; headers?: Record<string, unknown> };
        expect(typeof req.id).toBe('string');
        expect(String(req.id).length).toBeGreaterThan(0);
      }
      expect(requestLines.some((line) => (line.req as { id: string }).id === 'login-request')).toBe(true);
      // the credential headers are there, but redacted
      const withAuth = requestLines.filter((line) => {
        const headers = (line.req as { headers?: Record<string, unknown> }).headers ?? {};
        return 'authorization' in headers || 'x-api-key' in headers;
      });
      expect(withAuth.length).toBeGreaterThan(0);
      for (const line of withAuth) {
        const headers = (line.req as { headers: Record<string, unknown> }).headers;
        for (const name of ['authorization', 'x-api-key']) {
          if (name in headers) expect(headers[name]).toBe('[redacted]');
        }
      }
    });

    it('does not log a password sent in the query string of a GET request', async () => {
      const from = api.logLines.length;
      const secret = `get-secret-${randomUUID()}`;
      const params = new URLSearchParams({
        query: 'mutation ($input: LoginInput!) { login(input: $input) { token } }',
        variables: JSON.stringify({
          input: { tenantSlug: f.slug, email: `admin@${f.slug}.test`, password: secret },
        }),
      });
      const response = await fetch(`${api.url}/graphql?${params}`, {
        headers: { 'apollo-require-preflight': 'true' },
      });
      expect(response.status).toBeGreaterThanOrEqual(400);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const leaked = api.logLines.slice(from).filter((line) => line.includes(secret));
      expect(leaked).toEqual([]);
    });
  });

  describe('audit log', () => {
    /** The audit events of the fixture's tenant written by `call`, oldest first. */
    async function eventsOf<T>(call: () => Promise<GraphQLResponse<T>>) {
      const last = await api.prisma.auditEvent.findFirst({
        where: { tenantId: f.tenantId },
        orderBy: { id: 'desc' },
        select: { id: true },
      });
      const response = await call();
      expect(response.errors).toBeUndefined();
      const events = await api.prisma.auditEvent.findMany({
        where: { tenantId: f.tenantId, ...(last ? { id: { gt: last.id } } : {}) },
        orderBy: { id: 'asc' },
      });
      return { response, events };
    }

    it('writes exactly one event, with the right action, actor and entity, for every mutation by the admin', async () => {
      const actor = { actorType: 'user', actorId: f.userIds.ADMIN };
      const expectOne = async <T>(
        action: string,
        call: () => Promise<GraphQLResponse<T>>,
        entityId?: () => string,
      ) => {
        const { response, events } = await eventsOf(call);
        expect(events.map((event) => event.action)).toEqual([action]);
        expect(events[0]).toMatchObject(actor);
        if (entityId) expect(events[0]!.entityId).toBe(entityId());
        return { response, event: events[0]! };
      };

      const created = await expectOne<{ createStream: { id: string } }>('stream.create', () =>
        api.gql(
          CREATE_STREAM,
          { input: { name: 'Audited', sourceUrl: 'rtsp://camera.example.net/a', start: false } },
          admin,
        ),
      );
      const streamId = created.response.data!.createStream.id;
      expect(created.event.entityId).toBe(streamId);
      expect(created.event.entityType).toBe('Stream');
      const byStream = () => streamId;
      await expectOne(
        'stream.update',
        () =>
          api.gql(
            'mutation ($id: ID!) { updateStream(streamId: $id, input: { fps: 1 }) { id } }',
            { id: streamId },
            admin,
          ),
        byStream,
      );
      await expectOne(
        'stream.scene.saved',
        () =>
          api.gql(
            'mutation ($input: SaveStreamSceneInput!) { saveStreamScene(input: $input) { version } }',
            {
              input: {
                streamId,
                expectedVersion: 0,
                zones: [],
                lines: [{ name: 'Gate', from: { x: 0.1, y: 0.5 }, to: { x: 0.9, y: 0.5 } }],
              },
            },
            admin,
          ),
        byStream,
      );
      await expectOne(
        'stream.start',
        () => api.gql(TRANSITION('startStream'), { id: streamId }, admin),
        byStream,
      );
      await expectOne(
        'stream.pause',
        () => api.gql(TRANSITION('pauseStream'), { id: streamId }, admin),
        byStream,
      );
      await expectOne(
        'stream.stop',
        () => api.gql(TRANSITION('stopStream'), { id: streamId }, admin),
        byStream,
      );
      await expectOne(
        'stream.delete',
        () => api.gql('mutation ($id: ID!) { deleteStream(streamId: $id) }', { id: streamId }, admin),
        byStream,
      );

      const version = await expectOne<{ addPromptTemplateVersion: { id: string } }>(
        'promptTemplate.addVersion',
        () =>
          api.gql(
            'mutation ($t: ID!, $input: PromptTemplateVersionInput!) { addPromptTemplateVersion(templateId: $t, input: $input) { id } }',
            { t: f.ids.templateId, input: SAMPLE_VERSION },
            admin,
          ),
      );
      expect(version.event.entityId).toBe(version.response.data!.addPromptTemplateVersion.id);
      await expectOne(
        'promptTemplate.activateVersion',
        () =>
          api.gql(
            'mutation ($v: ID!) { activatePromptTemplateVersion(versionId: $v) { id } }',
            { v: f.ids.versionId },
            admin,
          ),
        () => f.ids.templateId,
      );

      const rule = await expectOne<{ createRule: { id: string } }>('rule.create', () =>
        api.gql(
          'mutation { createRule(input: { name: "Audited rule", condition: { verdict: "violation" }, action: { type: "alert" } }) { id } }',
          {},
          admin,
        ),
      );
      const ruleId = rule.response.data!.createRule.id;
      const byRule = () => ruleId;
      await expectOne(
        'rule.update',
        () =>
          api.gql(
            'mutation ($id: ID!) { updateRule(ruleId: $id, input: { priority: 5 }) { id } }',
            { id: ruleId },
            admin,
          ),
        byRule,
      );
      await expectOne(
        'rule.disable',
        () => api.gql('mutation ($id: ID!) { disableRule(ruleId: $id) { id } }', { id: ruleId }, admin),
        byRule,
      );
      await expectOne(
        'rule.enable',
        () => api.gql('mutation ($id: ID!) { enableRule(ruleId: $id) { id } }', { id: ruleId }, admin),
        byRule,
      );
      await expectOne(
        'rule.delete',
        () => api.gql('mutation ($id: ID!) { deleteRule(ruleId: $id) }', { id: ruleId }, admin),
        byRule,
      );

      const key = await expectOne<{ createApiKey: { apiKey: { id: string } } }>('apiKey.create', () =>
        api.gql(
          'mutation { createApiKey(input: { name: "audited key", role: AUDITOR }) { apiKey { id } } }',
          {},
          admin,
        ),
      );
      const keyId = key.response.data!.createApiKey.apiKey.id;
      await expectOne(
        'apiKey.revoke',
        () => api.gql('mutation ($id: ID!) { revokeApiKey(apiKeyId: $id) { id } }', { id: keyId }, admin),
        () => keyId,
      );

      const user = await expectOne<{ createUser: { user: { id: string } } }>('user.create', () =>
        api.gql(
          `mutation { createUser(input: { email: "audited@${f.slug}.test", role: AUDITOR }) { user { id } } }`,
          {},
          admin,
        ),
      );
      const userId = user.response.data!.createUser.user.id;
      await expectOne(
        'user.update',
        () =>
          api.gql(
            'mutation ($id: ID!) { updateUser(userId: $id, input: { role: MODERATOR }) { id } }',
            { id: userId },
            admin,
          ),
        () => userId,
      );
      await expectOne(
        'user.delete',
        () => api.gql('mutation ($id: ID!) { deleteUser(userId: $id) }', { id: userId }, admin),
        () => userId,
      );

      const session = await api.services.auth.login(
        { tenantSlug: f.slug, email: `admin@${f.slug}.test`, password: PASSWORD },
        '127.0.0.1',
      );
      const logout = await expectOne('auth.logout', () => api.gql('mutation { logout }', {}, session.token));
      expect(logout.event.entityType).toBe('Session');
    });

    it('records the template and its first version when a template is created', async () => {
      const { response, events } = await eventsOf<{
        createPromptTemplate: { id: string; activeVersion: { id: string } };
      }>(() =>
        api.gql(
          'mutation ($input: CreatePromptTemplateInput!) { createPromptTemplate(input: $input) { id activeVersion { id } } }',
          { input: { name: 'Audited template', version: SAMPLE_VERSION } },
          admin,
        ),
      );
      const { id, activeVersion } = response.data!.createPromptTemplate;
      expect(events.map((event) => [event.action, event.entityId, event.actorId])).toEqual([
        ['promptTemplate.addVersion', activeVersion.id, f.userIds.ADMIN],
        ['promptTemplate.create', id, f.userIds.ADMIN],
      ]);
    });

    it('names the API key as the actor when a key makes the change', async () => {
      const keyRow = await api.prisma.apiKey.findFirstOrThrow({
        where: { tenantId: f.tenantId, role: 'ADMIN', revokedAt: null },
      });
      const { events } = await eventsOf(() =>
        api.gql(
          CREATE_STREAM,
          { input: { name: 'By key', sourceUrl: 'rtsp://camera.example.net/k' } },
          f.apiKeys.ADMIN,
        ),
      );
      // Created and started at once: both audited as the key.
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({ action: 'stream.create', actorType: 'apiKey', actorId: keyRow.id });
      expect(events[1]).toMatchObject({ action: 'stream.start', actorType: 'apiKey', actorId: keyRow.id });
    });

    it('writes nothing for queries', async () => {
      const { events } = await eventsOf(() =>
        api.gql(
          '{ streams { edges { node { id } } } rules { edges { node { id } } } users { edges { node { id } } } }',
          {},
          admin,
        ),
      );
      expect(events).toEqual([]);
    });

    it('shows the events to an auditor through the API, newest first', async () => {
      const response = await api.gql<{
        auditEvents: { edges: { node: { id: string; action: string; actorType: string } }[] };
      }>(
        '{ auditEvents(first: 100, filter: { action: "stream.create" }) { edges { node { id action actorType } } } }',
        {},
        f.sessions.AUDITOR,
      );
      expect(response.errors).toBeUndefined();
      const nodes = response.data!.auditEvents.edges.map((edge) => edge.node);
      expect(nodes.length).toBeGreaterThanOrEqual(2);
      expect(nodes.every((node) => node.action === 'stream.create')).toBe(true);
      expect(nodes.map((node) => node.id)).toEqual([...nodes.map((node) => node.id)].sort().reverse());
    });

    it('refuses to UPDATE or DELETE an AuditEvent row, even with raw SQL', async () => {
      const event = await api.prisma.auditEvent.findFirstOrThrow({ where: { tenantId: f.tenantId } });
      await expect(
        api.prisma.$executeRawUnsafe(
          `UPDATE "AuditEvent" SET "action" = 'forged' WHERE "id" = $1::uuid`,
          event.id,
        ),
      ).rejects.toThrow(/append-only/);
      await expect(
        api.prisma.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE "id" = $1::uuid`, event.id),
      ).rejects.toThrow(/append-only/);
      await expect(
        api.prisma.auditEvent.update({ where: { id: event.id }, data: { action: 'forged' } }),
      ).rejects.toThrow(/append-only/);
      await expect(api.prisma.auditEvent.deleteMany({ where: { tenantId: f.tenantId } })).rejects.toThrow(
        /append-only/,
      );
      expect(await api.prisma.auditEvent.findUnique({ where: { id: event.id } })).toEqual(event);
    });

    it('refuses to TRUNCATE the audit log', async () => {
      // Run inside a transaction that is always rolled back, so a TRUNCATE that succeeds does no harm.
      const attempt = api.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe('TRUNCATE "AuditEvent"');
        throw new Error('TRUNCATE "AuditEvent" was accepted (rolled back by this test)');
      });
      await expect(attempt).rejects.toThrow(/append-only/);
    });
  });

  describe('stream state', () => {
    let s: TenantFixture;
    const operator = { kind: 'operator' as const, id: null };
    const statusOf = async (id: string) =>
      (await api.prisma.stream.findUniqueOrThrow({ where: { id } })).status;
    const call = (
      name: 'startStream' | 'pauseStream' | 'stopStream',
      id: string,
      credential = s.sessions.ADMIN,
    ) => api.gql<Record<string, { id: string; status: string }>>(TRANSITION(name), { id }, credential);

    beforeAll(async () => {
      s = await createTenantFixture(api, 'state');
    }, 30_000);

    it('answers every field of a stream in the list as the single-stream query does, whichever fields are selected', async () => {
      // The list reads only the columns its selection needs: each field alone, and all together,
      // must still come out as the stream query (which reads the whole row) says.
      const schema: GraphQLSchema = await buildVigilSchema();
      const streamType = schema.getType('Stream') as GraphQLObjectType;
      const leaves = Object.values(streamType.getFields())
        .filter((field) => isLeafType(getNamedType(field.type)))
        .map((field) => field.name);
      const objects = [
        'scene { version zones { name } }',
        'sceneAt(version: 0) { version }',
        'latestFrame { id }',
        'windows(first: 1) { edges { node { id } } }',
        'analyses(first: 1) { edges { node { id } } }',
        'template { id activeVersion { version } }',
      ];
      expect(leaves).toEqual(expect.arrayContaining(['id', 'sourceUrl', 'analysisNotice', 'status']));
      // Every field is a column or declares what it reads, so no selection falls back to all columns.
      const fields = Object.keys(streamType.getFields());
      expect(
        fields.filter((field) => !(field in STREAM_COLUMNS.columns || field in STREAM_COLUMNS.resolverNeeds)),
      ).toEqual([]);
      const id = s.ids.streamId;
      const all = [...leaves, ...objects].join(' ');
      const single = await api.gql<{ stream: Record<string, unknown> }>(
        `query ($id: ID!) { stream(streamId: $id) { ${all} } }`,
        { id },
        s.sessions.ADMIN,
      );
      expect(single.errors).toBeUndefined();
      const expected = single.data!.stream;
      expect(expected.sourceUrl).not.toMatch(/s3cret/);
      for (const selection of [all, ...leaves, ...objects]) {
        const listed = await api.gql<{ streams: { edges: { node: Record<string, unknown> }[] } }>(
          `{ streams(first: 5) { edges { node { id ${selection} } } } }`,
          {},
          s.sessions.ADMIN,
        );
        expect(listed.errors).toBeUndefined();
        const node = listed.data!.streams.edges.find((edge) => edge.node.id === id)!.node;
        for (const [field, value] of Object.entries(node))
          expect({ field, value }).toEqual({ field, value: expected[field] });
      }
    }, 30_000);

    it('moves STOPPED -> ACTIVE -> PAUSED, refuses a second pause with CONFLICT, and stops', async () => {
      const id = s.ids.streamId;
      expect(await statusOf(id)).toBe('STOPPED');
      expect((await call('startStream', id)).data).toEqual({ startStream: { id, status: 'ACTIVE' } });
      expect((await call('pauseStream', id, s.sessions.MODERATOR)).data).toEqual({
        pauseStream: { id, status: 'PAUSED' },
      });

      const auditBefore = await api.prisma.auditEvent.count({ where: { tenantId: s.tenantId } });
      const again = await call('pauseStream', id);
      expect(errorCodes(again)).toEqual(['CONFLICT']);
      expect(errorReasons(again)).toEqual(['INVALID_TRANSITION']);
      expect(again.errors![0]!.message).toMatch(/PAUSED/);
      expect(await statusOf(id)).toBe('PAUSED');
      expect(await api.prisma.auditEvent.count({ where: { tenantId: s.tenantId } })).toBe(auditBefore);

      expect((await call('startStream', id, s.apiKeys.MODERATOR)).data).toEqual({
        startStream: { id, status: 'ACTIVE' },
      });
      expect(errorCodes(await call('startStream', id))).toEqual(['CONFLICT']);
      expect((await call('stopStream', id)).data).toEqual({ stopStream: { id, status: 'STOPPED' } });
      expect(errorCodes(await call('stopStream', id))).toEqual(['CONFLICT']);
      expect(errorCodes(await call('pauseStream', id))).toEqual(['CONFLICT']);
      expect(errorCodes(await call('startStream', id, s.sessions.AUDITOR))).toEqual(['FORBIDDEN']);
      expect(await statusOf(id)).toBe('STOPPED');
    });

    it('refuses to start a stream beyond maxActiveStreams with CONFLICT', async () => {
      await api.services.tenants.updateQuotas(operator, s.tenantId, { maxActiveStreams: 1 });
      const first = await createStream(undefined, s.sessions.ADMIN);
      const second = await createStream(undefined, s.sessions.ADMIN);
      expect((await call('startStream', first)).data).toEqual({
        startStream: { id: first, status: 'ACTIVE' },
      });

      const refused = await call('startStream', second);
      expect(errorCodes(refused)).toEqual(['CONFLICT']);
      expect(errorReasons(refused)).toEqual(['QUOTA']);
      expect(refused.errors![0]!.message).toMatch(/at most 1 active/);
      expect(await statusOf(second)).toBe('STOPPED');

      // a paused stream does not count, and cannot come back while another one is active
      await call('pauseStream', first);
      expect((await call('startStream', second)).data).toEqual({
        startStream: { id: second, status: 'ACTIVE' },
      });
      expect(errorCodes(await call('startStream', first))).toEqual(['CONFLICT']);
      expect(await statusOf(first)).toBe('PAUSED');
      await call('stopStream', second);
      await call('stopStream', first);
    });

    it('lets exactly one of two concurrent starts win when the quota is 1, and the other gets CONFLICT', async () => {
      await api.services.tenants.updateQuotas(operator, s.tenantId, { maxActiveStreams: 1 });
      for (let round = 0; round < 4; round += 1) {
        const ids = [
          await createStream(undefined, s.sessions.ADMIN),
          await createStream(undefined, s.sessions.ADMIN),
        ];
        const responses = await Promise.all([
          call('startStream', ids[0]!),
          call('startStream', ids[1]!, s.sessions.MODERATOR),
        ]);
        const outcomes = responses.map((response) => errorCodes(response)[0] ?? 'OK').sort();
        expect({ round, outcomes }).toEqual({ round, outcomes: ['CONFLICT', 'OK'] });
        expect(await api.prisma.stream.count({ where: { tenantId: s.tenantId, status: 'ACTIVE' } })).toBe(1);
        const winner = ids[responses.findIndex((response) => !response.errors)]!;
        await call('stopStream', winner);
      }
    }, 30_000);
  });

  describe('prompt templates', () => {
    const ADD_VERSION = `mutation ($t: ID!, $input: PromptTemplateVersionInput!) {
      addPromptTemplateVersion(templateId: $t, input: $input) { id version templateId }
    }`;
    const TEMPLATE = `query ($t: ID!) { promptTemplate(templateId: $t) {
      id activeVersion { id version } versions(first: 100) { edges { node { id version } } } } }`;
    type TemplateView = {
      promptTemplate: {
        id: string;
        activeVersion: { id: string; version: number };
        versions: { edges: { node: { version: number } }[] };
      };
    };

    let templateId: string;

    beforeAll(async () => {
      const created = await api.gql<{ createPromptTemplate: { id: string } }>(
        'mutation ($input: CreatePromptTemplateInput!) { createPromptTemplate(input: $input) { id } }',
        { input: { name: 'Versioned', version: SAMPLE_VERSION } },
        admin,
      );
      templateId = created.data!.createPromptTemplate.id;
    });

    it('numbers added versions 2, 3 and keeps version 1 active until another is activated', async () => {
      const v2 = await api.gql<{ addPromptTemplateVersion: { id: string; version: number } }>(
        ADD_VERSION,
        { t: templateId, input: { ...SAMPLE_VERSION, instructionText: 'v2 {{streamName}}' } },
        admin,
      );
      const v3 = await api.gql<{
        addPromptTemplateVersion: { id: string; version: number; templateId: string };
      }>(
        ADD_VERSION,
        {
          t: templateId,
          input: { ...SAMPLE_VERSION, instructionText: 'v3 {{streamName}}', mode: 'INSTRUCT' },
        },
        admin,
      );
      expect(v2.data!.addPromptTemplateVersion.version).toBe(2);
      expect(v3.data!.addPromptTemplateVersion).toMatchObject({ version: 3, templateId });

      let view = (await api.gql<TemplateView>(TEMPLATE, { t: templateId }, admin)).data!.promptTemplate;
      expect(view.activeVersion.version).toBe(1);
      expect(view.versions.edges.map((edge) => edge.node.version)).toEqual([1, 2, 3]);

      const activated = await api.gql(
        'mutation ($v: ID!) { activatePromptTemplateVersion(versionId: $v) { id activeVersion { id version } } }',
        { v: v3.data!.addPromptTemplateVersion.id },
        admin,
      );
      expect(activated.data).toEqual({
        activatePromptTemplateVersion: {
          id: templateId,
          activeVersion: { id: v3.data!.addPromptTemplateVersion.id, version: 3 },
        },
      });
      view = (await api.gql<TemplateView>(TEMPLATE, { t: templateId }, f.sessions.MODERATOR)).data!
        .promptTemplate;
      expect(view.activeVersion.version).toBe(3);

      const back = await api.gql(
        'mutation ($v: ID!) { activatePromptTemplateVersion(versionId: $v) { activeVersion { version } } }',
        { v: v2.data!.addPromptTemplateVersion.id },
        admin,
      );
      expect(back.data).toEqual({ activatePromptTemplateVersion: { activeVersion: { version: 2 } } });
    });

    it('gives concurrent additions distinct, consecutive numbers', async () => {
      const before = await api.prisma.promptTemplateVersion.count({ where: { templateId } });
      const responses = await Promise.all(
        [1, 2, 3].map((i) =>
          api.gql<{ addPromptTemplateVersion: { version: number } }>(
            ADD_VERSION,
            { t: templateId, input: { ...SAMPLE_VERSION, instructionText: `parallel ${i}` } },
            admin,
          ),
        ),
      );
      for (const response of responses) expect(response.errors).toBeUndefined();
      const numbers = responses.map((response) => response.data!.addPromptTemplateVersion.version).sort();
      expect(numbers).toEqual([before + 1, before + 2, before + 3]);
    });

    it('has no mutation that edits a version: only activatePromptTemplateVersion takes a versionId', async () => {
      const schema: GraphQLSchema = await buildVigilSchema();
      const mutations = Object.values(schema.getMutationType()!.getFields());
      const takesVersion = mutations.filter((field) =>
        field.args.some(
          (arg) =>
            arg.name === 'versionId' ||
            Object.keys(
              (getNamedType(arg.type) as { getFields?: () => Record<string, unknown> }).getFields?.() ?? {},
            ).includes('versionId'),
        ),
      );
      expect(takesVersion.map((field) => field.name)).toEqual(['activatePromptTemplateVersion']);
      expect(
        mutations
          .map((field) => field.name)
          .filter((name) => /version/i.test(name))
          .sort(),
      ).toEqual(['activatePromptTemplateVersion', 'addPromptTemplateVersion']);
    });

    it('activating a version of template Y changes Y only, never template X', async () => {
      const x = (await api.gql<TemplateView>(TEMPLATE, { t: f.ids.templateId }, admin)).data!.promptTemplate;
      const y = await api.gql<{ createPromptTemplate: { id: string } }>(
        'mutation ($input: CreatePromptTemplateInput!) { createPromptTemplate(input: $input) { id } }',
        { input: { name: `Y ${randomUUID().slice(0, 6)}`, version: SAMPLE_VERSION } },
        admin,
      );
      const yId = y.data!.createPromptTemplate.id;
      const yv2 = await api.gql<{ addPromptTemplateVersion: { id: string } }>(
        ADD_VERSION,
        { t: yId, input: SAMPLE_VERSION },
        admin,
      );
      const activated = await api.gql<{
        activatePromptTemplateVersion: { id: string; activeVersion: { version: number } };
      }>(
        'mutation ($v: ID!) { activatePromptTemplateVersion(versionId: $v) { id activeVersion { version } } }',
        { v: yv2.data!.addPromptTemplateVersion.id },
        admin,
      );
      expect(activated.data!.activatePromptTemplateVersion).toEqual({
        id: yId,
        activeVersion: { version: 2 },
      });
      const xAfter = (await api.gql<TemplateView>(TEMPLATE, { t: f.ids.templateId }, admin)).data!
        .promptTemplate;
      expect(xAfter.activeVersion).toEqual(x.activeVersion);
    });

    it('fills Vigil’s own variables in promptPreview (stream name, tenant policy) and reports only the others', async () => {
      const PREVIEW = `query ($v: ID!, $vars: JSONObject, $s: ID) { promptPreview(versionId: $v, variables: $vars, streamId: $s) {
          systemText instructionText variables filledByVigil streamName missingVariables unusedVariables } }`;
      const settings = await api.gql(
        'mutation { updateTenantSettings(input: { policyText: "No one on the lawn" }) { policyText } }',
        {},
        admin,
      );
      expect(settings.errors).toBeUndefined();
      const ofStream = await api.gql(
        PREVIEW,
        { v: f.ids.versionId, vars: { colour: 'red' }, s: f.ids.streamId },
        f.sessions.MODERATOR,
      );
      expect(ofStream.data).toEqual({
        promptPreview: {
          systemText: SAMPLE_VERSION.systemText,
          instructionText: 'Stream Front lawn. Policy: No one on the lawn. Answer in JSON.',
          variables: ['streamName', 'policy'],
          filledByVigil: ['streamName', 'policy'],
          streamName: 'Front lawn',
          missingVariables: [],
          unusedVariables: ['colour'],
        },
      });

      // No stream chosen: a sample name; a caller's value overrides Vigil's, to try one.
      const sample = await api.gql<{ promptPreview: { instructionText: string; filledByVigil: string[] } }>(
        PREVIEW,
        { v: f.ids.versionId, vars: { policy: 'Draft policy' } },
        admin,
      );
      expect(sample.data!.promptPreview).toMatchObject({
        instructionText: 'Stream Sample stream. Policy: Draft policy. Answer in JSON.',
        filledByVigil: ['streamName'],
        streamName: 'Sample stream',
        missingVariables: [],
        unusedVariables: [],
      });

      const other = await createTenantFixture(api, 'preview-other');
      const foreign = await api.gql(PREVIEW, { v: f.ids.versionId, s: other.ids.streamId }, admin);
      expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
      const malformed = await api.gql(PREVIEW, { v: f.ids.versionId, s: 'not-an-id' }, admin);
      expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
      expect(malformed.errors![0]!.extensions!.fields).toEqual([
        expect.objectContaining({ field: 'streamId' }),
      ]);
    });

    it('substitutes values literally: no second pass, no $-patterns, no inherited names', async () => {
      const created = await api.gql<{ addPromptTemplateVersion: { id: string } }>(
        ADD_VERSION,
        { t: templateId, input: { ...SAMPLE_VERSION, instructionText: 'A={{a}} B={{b}} C={{constructor}}' } },
        admin,
      );
      const preview = await api.gql(
        `query ($v: ID!, $vars: JSONObject) { promptPreview(versionId: $v, variables: $vars) {
          instructionText missingVariables unusedVariables } }`,
        { v: created.data!.addPromptTemplateVersion.id, vars: { a: '{{b}}', b: "$& $' $1" } },
        admin,
      );
      expect(preview.data).toEqual({
        promptPreview: {
          instructionText: "A={{b}} B=$& $' $1 C={{constructor}}",
          missingVariables: ['constructor'],
          unusedVariables: [],
        },
      });
    });

    it('refuses preview values that are not strings', async () => {
      const preview = await api.gql(
        'query ($v: ID!, $vars: JSONObject) { promptPreview(versionId: $v, variables: $vars) { instructionText } }',
        { v: f.ids.versionId, vars: { streamName: { nested: true } } },
        admin,
      );
      expect(errorCodes(preview)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('rules', () => {
    const RULE_FIELDS = 'id name enabled priority cooldownSeconds condition action';
    type RuleView = {
      id: string;
      name: string;
      enabled: boolean;
      priority: number;
      cooldownSeconds: number;
      condition: unknown;
      action: unknown;
    };
    const listIds = async (enabled: boolean | null) => {
      const response = await api.gql<{ rules: { edges: { node: { id: string; enabled: boolean } }[] } }>(
        'query ($enabled: Boolean) { rules(first: 100, enabled: $enabled) { edges { node { id enabled } } } }',
        { enabled },
        f.sessions.AUDITOR,
      );
      expect(response.errors).toBeUndefined();
      return response.data!.rules.edges.map((edge) => edge.node);
    };

    it('round-trips createRule, updateRule, disableRule, enableRule and deleteRule, and filters by enabled', async () => {
      const created = await api.gql<{ createRule: RuleView }>(
        `mutation ($input: CreateRuleInput!) { createRule(input: $input) { ${RULE_FIELDS} } }`,
        {
          input: {
            name: 'Loitering',
            condition: { persists: { when: { object: { label: 'person', minCount: 1 } }, windows: 3 } },
            action: { type: 'review' },
          },
        },
        admin,
      );
      expect(created.errors).toBeUndefined();
      const rule = created.data!.createRule;
      expect(rule).toMatchObject({
        name: 'Loitering',
        enabled: true,
        priority: 0,
        cooldownSeconds: 60,
        condition: { persists: { when: { object: { label: 'person', minCount: 1 } }, windows: 3 } },
        action: { type: 'review', queue: 'default', priority: 50 },
      });

      const updated = await api.gql<{ updateRule: RuleView }>(
        `mutation ($id: ID!, $input: UpdateRuleInput!) { updateRule(ruleId: $id, input: $input) { ${RULE_FIELDS} } }`,
        {
          id: rule.id,
          input: { name: 'Loitering (long)', priority: 900, action: { type: 'alert', severity: 'critical' } },
        },
        admin,
      );
      expect(updated.data!.updateRule).toMatchObject({
        id: rule.id,
        name: 'Loitering (long)',
        priority: 900,
        cooldownSeconds: 60,
        action: { type: 'alert', severity: 'critical' },
        condition: rule.condition,
      });

      const nothing = await api.gql(
        'mutation ($id: ID!) { updateRule(ruleId: $id, input: {}) { id } }',
        { id: rule.id },
        admin,
      );
      expect(errorCodes(nothing)).toEqual(['BAD_USER_INPUT']);

      const disabled = await api.gql<{ disableRule: RuleView }>(
        `mutation ($id: ID!) { disableRule(ruleId: $id) { id enabled } }`,
        { id: rule.id },
        admin,
      );
      expect(disabled.data!.disableRule).toEqual({ id: rule.id, enabled: false });
      const off = await listIds(false);
      expect(off.map((node) => node.id)).toContain(rule.id);
      expect(off.map((node) => node.id)).not.toContain(f.ids.ruleId);
      expect(off.every((node) => !node.enabled)).toBe(true);
      const on = await listIds(true);
      expect(on.map((node) => node.id)).toContain(f.ids.ruleId);
      expect(on.map((node) => node.id)).not.toContain(rule.id);
      expect((await listIds(null)).map((node) => node.id)).toEqual(
        expect.arrayContaining([rule.id, f.ids.ruleId]),
      );

      const enabled = await api.gql(
        `mutation ($id: ID!) { enableRule(ruleId: $id) { id enabled } }`,
        { id: rule.id },
        admin,
      );
      expect(enabled.data).toEqual({ enableRule: { id: rule.id, enabled: true } });
      expect((await listIds(true)).map((node) => node.id)).toContain(rule.id);

      const fetched = await api.gql<{ rule: RuleView }>(
        `query ($id: ID!) { rule(ruleId: $id) { ${RULE_FIELDS} } }`,
        { id: rule.id },
        f.sessions.MODERATOR,
      );
      expect(fetched.data!.rule).toMatchObject({ name: 'Loitering (long)', enabled: true, priority: 900 });

      const deleted = await api.gql(
        'mutation ($id: ID!) { deleteRule(ruleId: $id) }',
        { id: rule.id },
        admin,
      );
      expect(deleted.data).toEqual({ deleteRule: rule.id });
      expect(
        errorCodes(await api.gql('query ($id: ID!) { rule(ruleId: $id) { id } }', { id: rule.id }, admin)),
      ).toEqual(['NOT_FOUND']);
      expect(
        errorCodes(await api.gql('mutation ($id: ID!) { deleteRule(ruleId: $id) }', { id: rule.id }, admin)),
      ).toEqual(['NOT_FOUND']);
      expect(
        errorCodes(
          await api.gql('mutation ($id: ID!) { enableRule(ruleId: $id) { id } }', { id: rule.id }, admin),
        ),
      ).toEqual(['NOT_FOUND']);
      expect((await listIds(null)).map((node) => node.id)).not.toContain(rule.id);
    });
  });

  describe('pagination', () => {
    type Page = {
      streams: {
        edges: { cursor: string; node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    const PAGE = `query ($first: Int, $after: String) { streams(first: $first, after: $after) {
      edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;

    it('pages through 25 new streams with first: 10 and after, in creation order, ending with hasNextPage false', async () => {
      const p = await createTenantFixture(api, 'pages');
      const created = [p.ids.streamId];
      for (let i = 0; i < 25; i += 1)
        created.push(await createStream(`page cam ${String(i).padStart(2, '0')}`, p.sessions.ADMIN));

      const seen: string[] = [];
      const sizes: number[] = [];
      const hasNext: boolean[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 10; guard += 1) {
        const response: GraphQLResponse<Page> = await api.gql<Page>(
          PAGE,
          { first: 10, after },
          p.apiKeys.AUDITOR,
        );
        expect(response.errors).toBeUndefined();
        const { edges, pageInfo } = response.data!.streams;
        seen.push(...edges.map((edge) => edge.node.id));
        sizes.push(edges.length);
        hasNext.push(pageInfo.hasNextPage);
        if (edges.length) expect(pageInfo.endCursor).toBe(edges.at(-1)!.cursor);
        if (!pageInfo.hasNextPage) break;
        after = pageInfo.endCursor;
      }
      expect(sizes).toEqual([10, 10, 6]);
      expect(hasNext).toEqual([true, true, false]);
      expect(new Set(seen).size).toBe(26);
      expect(seen).toEqual(created);

      const beyond = await api.gql<Page>(
        PAGE,
        {
          first: 10,
          after: (await api.gql<Page>(PAGE, { first: 100 }, p.sessions.ADMIN)).data!.streams.pageInfo
            .endCursor,
        },
        p.sessions.ADMIN,
      );
      expect(beyond.data!.streams).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
    }, 30_000);

    it('keeps a cursor usable after the row it points at is deleted', async () => {
      const p = await createTenantFixture(api, 'cursor');
      const ids = [p.ids.streamId];
      for (let i = 0; i < 4; i += 1) ids.push(await createStream(`cursor cam ${i}`, p.sessions.ADMIN));
      const first = await api.gql<Page>(PAGE, { first: 2 }, p.sessions.ADMIN);
      const cursor = first.data!.streams.pageInfo.endCursor;
      expect(first.data!.streams.edges.map((edge) => edge.node.id)).toEqual(ids.slice(0, 2));
      const deleted = await api.gql(
        'mutation ($id: ID!) { deleteStream(streamId: $id) }',
        { id: ids[1] },
        p.sessions.ADMIN,
      );
      expect(deleted.errors).toBeUndefined();
      const next = await api.gql<Page>(PAGE, { first: 2, after: cursor }, p.sessions.ADMIN);
      expect(next.data!.streams.edges.map((edge) => edge.node.id)).toEqual(ids.slice(2, 4));
      expect(next.data!.streams.pageInfo.hasNextPage).toBe(true);
    }, 30_000);
  });
});
