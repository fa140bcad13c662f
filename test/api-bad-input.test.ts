import { randomUUID } from 'node:crypto';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import { errorCodes, GraphQLResponse, startTestApi, TestApi } from './support/api-harness';
import { bearer, fieldsOf, gqlWithHeaders, postRaw } from './support/raw-http';
import { createTenantFixture, PASSWORD, SAMPLE_VERSION, TenantFixture } from './support/tenant-fixture';

/**
 * Bad input gets a clear, typed error (extensions.code, and for BAD_USER_INPUT the input fields it
 * concerns), and nothing already accepted is lost: no row and no audit event comes from a refusal.
 */

const CREATE_STREAM = `mutation ($input: CreateStreamInput!) {
  createStream(input: $input) { id name sourceUrl kind fps status }
}`;
const CREATE_TEMPLATE = `mutation ($input: CreatePromptTemplateInput!) {
  createPromptTemplate(input: $input) { id activeVersion { id version } }
}`;
const ADD_VERSION = `mutation ($templateId: ID!, $input: PromptTemplateVersionInput!) {
  addPromptTemplateVersion(templateId: $templateId, input: $input) { id version }
}`;
const CREATE_RULE = `mutation ($input: CreateRuleInput!) { createRule(input: $input) { id name } }`;
const CREATE_USER = `mutation ($input: CreateUserInput!) { createUser(input: $input) { user { id email } } }`;

type Counts = {
  streams: number;
  templates: number;
  versions: number;
  rules: number;
  users: number;
  audit: number;
};

describe('Bad input gets a clear, typed error (extensions.code), and nothing already accepted is lost', () => {
  let api: TestApi;
  let small: TestApi;
  let f: TenantFixture;
  let admin: string;
  let originalRows: unknown;

  const counts = async (tenantId = f.tenantId): Promise<Counts> => {
    const where = { where: { tenantId } };
    const [streams, templates, versions, rules, users, audit] = await Promise.all([
      api.prisma.stream.count(where),
      api.prisma.promptTemplate.count(where),
      api.prisma.promptTemplateVersion.count(where),
      api.prisma.rule.count(where),
      api.prisma.user.count(where),
      api.prisma.auditEvent.count(where),
    ]);
    return { streams, templates, versions, rules, users, audit };
  };

  const fixtureRows = async (): Promise<unknown> => ({
    stream: await api.prisma.stream.findUnique({ where: { id: f.ids.streamId } }),
    template: await api.prisma.promptTemplate.findUnique({ where: { id: f.ids.templateId } }),
    version: await api.prisma.promptTemplateVersion.findUnique({ where: { id: f.ids.versionId } }),
    rule: await api.prisma.rule.findUnique({ where: { id: f.ids.ruleId } }),
    users: await api.prisma.user.findMany({ where: { tenantId: f.tenantId }, orderBy: { id: 'asc' } }),
  });

  /** Runs a call that must be refused with `code`, and checks that it changed no count at all. */
  async function refusedWithoutTrace(
    call: () => Promise<GraphQLResponse<unknown>>,
    code: string,
  ): Promise<GraphQLResponse<unknown>> {
    const before = await counts();
    const response = await call();
    expect(errorCodes(response)).toEqual([code]);
    expect(response.data ?? null).toBeNull();
    expect(await counts()).toEqual(before);
    return response;
  }

  // Created STOPPED: these streams are about their input, not about sampling.
  const validStream = (overrides: Record<string, unknown> = {}) => ({
    name: `cam ${randomUUID().slice(0, 8)}`,
    sourceUrl: 'rtsp://camera.example.net/live',
    start: false,
    ...overrides,
  });

  beforeAll(async () => {
    [api, small] = await Promise.all([
      startTestApi({ REQUEST_BODY_LIMIT_BYTES: String(2 * 1024 * 1024) }),
      startTestApi({ REQUEST_BODY_LIMIT_BYTES: '2048' }),
    ]);
    f = await createTenantFixture(api, 'bad');
    admin = f.sessions.ADMIN;
    originalRows = await fixtureRows();
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), small?.stop()]);
  });

  describe('HTTP bodies that never reach GraphQL', () => {
    it('answers a malformed JSON body with 400 BAD_USER_INPUT in GraphQL’s error shape', async () => {
      const response = await postRaw(api, '{"query": "{ me { id } }"', bearer(admin));
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toMatch(/JSON/);
    });

    it('answers a JSON body that is not an object (a bare string) with 400 BAD_USER_INPUT', async () => {
      const response = await postRaw(api, '"{ me { id } }"', bearer(admin));
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('answers a body over REQUEST_BODY_LIMIT_BYTES with 413 BAD_USER_INPUT, and accepts one under it', async () => {
      const padding = ' '.repeat(3000);
      const tooLarge = await postRaw(
        small,
        JSON.stringify({ query: `{ me { id }${padding}}` }),
        bearer(admin),
      );
      expect(tooLarge.status).toBe(413);
      expect(errorCodes(tooLarge)).toEqual(['BAD_USER_INPUT']);
      expect(tooLarge.errors![0]!.message).toContain('2048');

      const fits = await postRaw(small, JSON.stringify({ query: '{ me { id } }' }), bearer(admin));
      expect(fits.status).toBe(200);
      expect(fits.errors).toBeUndefined();
    });

    it('answers deeply nested JSON in a variable with BAD_USER_INPUT, not an internal error', async () => {
      for (const depth of [5_000, 100_000]) {
        const nested = '['.repeat(depth) + ']'.repeat(depth);
        const body = `{"query":"mutation($input: CreateStreamInput!) { createStream(input: $input) { id } }","variables":{"input":{"name":"deep","sourceUrl":"rtsp://camera.example.net/x","start":false,"tags":${nested}}}}`;
        const response = await postRaw(api, body, bearer(admin));
        expect(response.status).toBe(400);
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(response.errors![0]!.message).toMatch(/nested/);
      }
      // A result schema nested 10,000 levels deep once crashed a resolver (INTERNAL_SERVER_ERROR).
      let deep = '{}';
      for (let n = 0; n < 10_000; n++) deep = `{"a":${deep}}`;
      const schema = await postRaw(
        api,
        `{"query":"mutation($v: PromptTemplateVersionInput!) { addPromptTemplateVersion(templateId: \\"${f.ids.templateId}\\", input: $v) { id } }","variables":{"v":{"systemText":"s","instructionText":"i","resultSchema":${deep}}}}`,
        bearer(admin),
      );
      expect(schema.status).toBe(400);
      expect(schema.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'INPUT_TOO_DEEP' });
    });

    it('answers a body over the limit with 413 before the client has sent it all, and closes the connection', async () => {
      const { request } = await import('node:http');
      const url = new URL(`${small.url}/graphql`);
      const outcome = await new Promise<{ status: number; sentBytes: number; closed: boolean }>(
        (resolve, reject) => {
          const req = request(
            {
              host: url.hostname,
              port: url.port,
              path: url.pathname,
              method: 'POST',
              headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) },
            },
            (res) => {
              res.resume();
              res.on('end', () => resolve({ status: res.statusCode ?? 0, sentBytes, closed: true }));
            },
          );
          req.on('error', (error: NodeJS.ErrnoException) =>
            error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error),
          );
          let sentBytes = 0;
          const chunk = Buffer.alloc(64 * 1024, 0x20);
          const pump = () => {
            // The server answers long before 50 MB: stop once the answer has come.
            while (sentBytes < 50 * 1024 * 1024 && !req.destroyed) {
              sentBytes += chunk.length;
              if (!req.write(chunk)) return void req.once('drain', pump);
            }
          };
          req.write('{"query":"');
          pump();
        },
      );
      expect(outcome.status).toBe(413);
      expect(outcome.sentBytes).toBeLessThan(50 * 1024 * 1024);
    });

    it('refuses a large createStream body on the small API without creating anything', async () => {
      await refusedWithoutTrace(async () => {
        const body = JSON.stringify({
          query: CREATE_STREAM,
          variables: {
            input: validStream({
              name: 'x'.repeat(100),
              sourceUrl: `rtsp://cam.example.net/${'a'.repeat(2500)}`,
            }),
          },
        });
        const response = await postRaw(small, body, bearer(admin));
        expect(response.status).toBe(413);
        return response;
      }, 'BAD_USER_INPUT');
    });

    it('refuses batched (array) requests with BAD_USER_INPUT', async () => {
      const response = await postRaw(
        api,
        JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]),
        bearer(admin),
      );
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('GraphQL documents and variables', () => {
    it('refuses an unknown field in the selection with BAD_USER_INPUT naming it', async () => {
      const response = await api.gql('{ streams { edges { node { id bogusField } } } }', {}, admin);
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toContain('bogusField');
    });

    it('refuses an unknown input field inside a variable, and creates nothing', async () => {
      const response = await refusedWithoutTrace(
        () => api.gql(CREATE_STREAM, { input: { ...validStream(), notAField: 1 } }, admin),
        'BAD_USER_INPUT',
      );
      expect(response.status).toBe(400);
      expect(response.errors![0]!.message).toContain('notAField');
    });

    it('refuses a variable of the wrong type (a string for an Int)', async () => {
      const response = await api.gql(
        'query ($first: Int) { streams(first: $first) { edges { node { id } } } }',
        { first: 'ten' },
        admin,
      );
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses a literal of the wrong type in the document', async () => {
      const response = await api.gql('{ streams(first: "ten") { edges { node { id } } } }', {}, admin);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses a missing required argument', async () => {
      const response = await api.gql('{ stream { id } }', {}, admin);
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.message).toContain('streamId');
    });

    it('refuses a missing required variable', async () => {
      const response = await api.gql('query ($id: ID!) { stream(streamId: $id) { id } }', {}, admin);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses a document that does not parse', async () => {
      const response = await api.gql('{ me { id ', {}, admin);
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it.each([
      ['an empty query', { query: '' }],
      ['a blank query', { query: '   ' }],
      ['no query at all', {}],
      ['a query that is not a string', { query: 42 }],
    ])('refuses %s with 400 BAD_USER_INPUT', async (_label, body) => {
      const response = await postRaw(api, JSON.stringify(body), bearer(admin));
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses a query whose operationName names no operation', async () => {
      const response = await postRaw(
        api,
        JSON.stringify({ query: 'query A { me { id } } query B { me { email } }', operationName: 'C' }),
        bearer(admin),
      );
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('createStream validation names the field and stores nothing', () => {
    it.each<[string, Record<string, unknown>, string]>([
      ['a URL without a scheme', { sourceUrl: 'camera.example.net/live' }, 'input.sourceUrl'],
      ['a URL with spaces', { sourceUrl: 'rtsp://camera.example.net/a b' }, 'input.sourceUrl'],
      ['a refused scheme (ftp)', { sourceUrl: 'ftp://camera.example.net/x' }, 'input.sourceUrl'],
      ['a javascript: URL', { sourceUrl: 'javascript:alert(1)' }, 'input.sourceUrl'],
      ['file:// while file sources are disabled', { sourceUrl: 'file:///etc/passwd' }, 'input.sourceUrl'],
      ['a link-local host (cloud metadata)', { sourceUrl: 'http://169.254.169.254/' }, 'input.sourceUrl'],
      ['a link-local rtsp host', { sourceUrl: 'rtsp://169.254.10.1/cam' }, 'input.sourceUrl'],
      ['an IPv6 link-local host', { sourceUrl: 'http://[fe80::1]/x' }, 'input.sourceUrl'],
      ['the metadata host name', { sourceUrl: 'http://metadata.google.internal/' }, 'input.sourceUrl'],
      ['a link-local host written in decimal (http)', { sourceUrl: 'http://2852039166/' }, 'input.sourceUrl'],
      ['a loopback host', { sourceUrl: 'rtsp://127.0.0.1/cam' }, 'input.sourceUrl'],
      ['localhost', { sourceUrl: 'http://localhost:4000/graphql' }, 'input.sourceUrl'],
      ['a declared kind that contradicts the URL', { kind: 'HLS' }, 'input.sourceUrl'],
      ['fps 0', { fps: 0 }, 'input.fps'],
      ['fps 6', { fps: 6 }, 'input.fps'],
      ['negative fps', { fps: -1 }, 'input.fps'],
      ['maxWidth 500 (not a multiple of 32)', { maxWidth: 500 }, 'input.maxWidth'],
      ['maxWidth 32 (too small)', { maxWidth: 32 }, 'input.maxWidth'],
      ['ssimThreshold 1.5', { ssimThreshold: 1.5 }, 'input.ssimThreshold'],
      ['windowStride > windowSize', { windowSize: 4, windowStride: 8 }, 'input.windowStride'],
      ['windowSize 0', { windowSize: 0, windowStride: 1 }, 'input.windowSize'],
      ['a blank name', { name: '   ' }, 'input.name'],
      ['a templateId that is not an id', { templateId: 'template-1' }, 'input.templateId'],
    ])('refuses %s with BAD_USER_INPUT naming %s', async (_label, overrides, field) => {
      const response = await refusedWithoutTrace(
        () => api.gql(CREATE_STREAM, { input: validStream(overrides) }, admin),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toContain(field);
      expect(response.errors![0]!.message).toContain(field);
    });

    // These hosts reach the link-local metadata service, only spelled differently: the IPv4-mapped
    // IPv6 form (WHATWG URL normalises it to hex, ::ffff:a9fe:a9fe) and, for rtsp:// whose host the
    // URL parser leaves opaque, the numeric forms that getaddrinfo/inet_aton resolve to 169.254.169.254.
    it.each([
      'http://[::ffff:169.254.169.254]/latest/meta-data',
      'rtsp://[::ffff:169.254.169.254]/cam',
      'rtsp://2852039166/cam',
      'rtsp://0xa9fea9fe/cam',
      'rtsp://169.254.43518/cam',
    ])('refuses the link-local address in disguise %s', async (sourceUrl) => {
      const response = await refusedWithoutTrace(
        () => api.gql(CREATE_STREAM, { input: validStream({ sourceUrl }) }, admin),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(['input.sourceUrl']);
    });

    it.each(['http://[::ffff:127.0.0.1]/x', 'rtsp://2130706433/cam', 'rtsp://127.1/cam'])(
      'refuses the loopback address in disguise %s',
      async (sourceUrl) => {
        const response = await refusedWithoutTrace(
          () => api.gql(CREATE_STREAM, { input: validStream({ sourceUrl }) }, admin),
          'BAD_USER_INPUT',
        );
        expect(fieldsOf(response)).toEqual(['input.sourceUrl']);
      },
    );

    it('names every problem of one input at once', async () => {
      const response = await refusedWithoutTrace(
        () => api.gql(CREATE_STREAM, { input: validStream({ fps: 9, maxWidth: 500, name: '' }) }, admin),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(
        expect.arrayContaining(['input.fps', 'input.maxWidth', 'input.name']),
      );
    });

    it('accepts the same input once it is corrected (the refusals were about the input, not the caller)', async () => {
      const response = await api.gql(
        CREATE_STREAM,
        { input: validStream({ fps: 5, maxWidth: 1344 }) },
        admin,
      );
      expect(response.errors).toBeUndefined();
      expect(response.data).toMatchObject({ createStream: { fps: 5, status: 'STOPPED', kind: 'RTSP' } });
    });

    it("refuses fps above the tenant's maxFps quota, on create and on update", async () => {
      const q = await createTenantFixture(api, 'quota');
      await api.services.tenants.updateQuotas({ kind: 'operator', id: null }, q.tenantId, { maxFps: 1 });
      const before = await counts(q.tenantId);

      const create = await api.gql(CREATE_STREAM, { input: validStream({ fps: 1.5 }) }, q.sessions.ADMIN);
      expect(errorCodes(create)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(create)).toEqual(['input.fps']);
      expect(create.errors![0]!.message).toMatch(/quota/);

      const update = await api.gql(
        'mutation ($id: ID!) { updateStream(streamId: $id, input: { fps: 2 }) { id fps } }',
        { id: q.ids.streamId },
        q.sessions.ADMIN,
      );
      expect(errorCodes(update)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(update)).toEqual(['input.fps']);
      expect(await counts(q.tenantId)).toEqual(before);
      expect((await api.prisma.stream.findUnique({ where: { id: q.ids.streamId } }))!.fps).toBe(2);

      const within = await api.gql(CREATE_STREAM, { input: validStream({ fps: 1 }) }, q.sessions.ADMIN);
      expect(within.errors).toBeUndefined();
      expect(await api.prisma.stream.count({ where: { tenantId: q.tenantId } })).toBe(before.streams + 1);
    }, 30_000);

    it('refuses an update that would make windowStride exceed the stored windowSize', async () => {
      const before = await api.prisma.stream.findUnique({ where: { id: f.ids.streamId } });
      const response = await api.gql(
        'mutation ($id: ID!) { updateStream(streamId: $id, input: { windowStride: 20 }) { id } }',
        { id: f.ids.streamId },
        admin,
      );
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual(['input.windowStride']);
      expect(await api.prisma.stream.findUnique({ where: { id: f.ids.streamId } })).toEqual(before);
    });

    it('refuses a duplicate stream name with CONFLICT, leaving neither a row nor an audit event', async () => {
      const response = await refusedWithoutTrace(
        () => api.gql(CREATE_STREAM, { input: validStream({ name: 'Front lawn' }) }, admin),
        'CONFLICT',
      );
      expect(response.errors![0]!.message).toMatch(/name/);
    });
  });

  describe('huge inputs are refused by validation, without echoing them back', () => {
    it('refuses a 50,000-character stream name', async () => {
      const response = await refusedWithoutTrace(
        () => api.gql(CREATE_STREAM, { input: validStream({ name: 'n'.repeat(50_000) }) }, admin),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(['input.name']);
      expect(JSON.stringify(response).length).toBeLessThan(2_000);
    });

    it('refuses a 30,000-character systemText', async () => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            CREATE_TEMPLATE,
            { input: { name: 'Huge', version: { ...SAMPLE_VERSION, systemText: 's'.repeat(30_000) } } },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(['input.version.systemText']);
      expect(JSON.stringify(response).length).toBeLessThan(2_000);
    });

    it('refuses a 5,000-character source URL', async () => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            CREATE_STREAM,
            { input: validStream({ sourceUrl: `rtsp://camera.example.net/${'p'.repeat(5_000)}` }) },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(['input.sourceUrl']);
    });
  });

  describe('prompt templates', () => {
    const { anomalies: _anomalies, ...propertiesWithoutAnomalies } = DEFAULT_RESULT_SCHEMA.properties;
    const schemaWithoutAnomalies = {
      ...DEFAULT_RESULT_SCHEMA,
      properties: propertiesWithoutAnomalies,
      required: DEFAULT_RESULT_SCHEMA.required.filter((field) => field !== 'anomalies'),
    };

    it('refuses a resultSchema without "anomalies", naming input.version.resultSchema…', async () => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            CREATE_TEMPLATE,
            {
              input: {
                name: 'No anomalies',
                version: { ...SAMPLE_VERSION, resultSchema: schemaWithoutAnomalies },
              },
            },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(
        expect.arrayContaining([
          'input.version.resultSchema.properties.anomalies',
          'input.version.resultSchema.required',
        ]),
      );
      expect(fieldsOf(response).every((field) => field.startsWith('input.version.resultSchema'))).toBe(true);
      expect(response.errors![0]!.message).toContain('anomalies');
    });

    it('refuses a resultSchema that is not a valid JSON Schema', async () => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            CREATE_TEMPLATE,
            {
              input: {
                name: 'Broken schema',
                version: { ...SAMPLE_VERSION, resultSchema: { ...DEFAULT_RESULT_SCHEMA, type: 'objekt' } },
              },
            },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)[0]).toMatch(/^input\.version\.resultSchema/);
    });

    it('refuses a systemText containing {{variables}}', async () => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            CREATE_TEMPLATE,
            {
              input: {
                name: 'Var in system',
                version: { ...SAMPLE_VERSION, systemText: 'Watch {{ camera }}.' },
              },
            },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(['input.version.systemText']);
    });

    it.each([
      [1024, 1024],
      [4096, 1024],
    ])(
      'refuses thinkingTokenBudget %i with maxCompletionTokens %i',
      async (thinkingTokenBudget, maxCompletionTokens) => {
        const response = await refusedWithoutTrace(
          () =>
            api.gql(
              CREATE_TEMPLATE,
              {
                input: {
                  name: 'Budget',
                  version: { ...SAMPLE_VERSION, thinkingTokenBudget, maxCompletionTokens },
                },
              },
              admin,
            ),
          'BAD_USER_INPUT',
        );
        expect(fieldsOf(response)).toEqual(['input.version.thinkingTokenBudget']);
      },
    );

    it('refuses a bad version added to an existing template, which keeps its versions', async () => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            ADD_VERSION,
            { templateId: f.ids.templateId, input: { ...SAMPLE_VERSION, systemText: '{{x}}', topP: 0 } },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual(expect.arrayContaining(['input.systemText', 'input.topP']));
    });

    it('refuses a duplicate template name with CONFLICT', async () => {
      await refusedWithoutTrace(
        () => api.gql(CREATE_TEMPLATE, { input: { name: 'Lawn watch', version: SAMPLE_VERSION } }, admin),
        'CONFLICT',
      );
    });
  });

  describe('rules', () => {
    const nested = (depth: number): Record<string, unknown> =>
      depth <= 1 ? { object: { label: 'person' } } : { not: nested(depth - 1) };

    it.each<[string, Record<string, unknown>, string]>([
      ['an unknown predicate', { teleport: { to: 'mars' } }, 'input.condition'],
      [
        'minConfidence 2',
        { object: { label: 'person', minConfidence: 2 } },
        'input.condition.object.minConfidence',
      ],
      [
        'minConfidence 2 deep inside all',
        { all: [{ object: { label: 'car' } }, { object: { label: 'person', minConfidence: 2 } }] },
        'input.condition.all.1.object.minConfidence',
      ],
      ['an empty all', { all: [] }, 'input.condition.all'],
      [
        'an unknown field beside a predicate',
        { object: { label: 'person', colour: 'red' } },
        'input.condition.object',
      ],
      ['nesting 10 deep', nested(10), 'input.condition'],
    ])('refuses %s with BAD_USER_INPUT under %s, and creates no rule', async (_label, condition, field) => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(CREATE_RULE, { input: { name: 'Bad rule', condition, action: { type: 'review' } } }, admin),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response).length).toBeGreaterThan(0);
      expect(fieldsOf(response).every((name) => name.startsWith('input.condition'))).toBe(true);
      expect(fieldsOf(response)).toContain(field);
    });

    it('explains a too-deep condition', async () => {
      const response = await api.gql(
        CREATE_RULE,
        { input: { name: 'Deep rule', condition: nested(10), action: { type: 'review' } } },
        admin,
      );
      expect(response.errors![0]!.message).toMatch(/nests 10 levels/);
    });

    it('accepts a condition nested exactly to the limit (8)', async () => {
      const response = await api.gql(
        CREATE_RULE,
        { input: { name: 'Eight deep', condition: nested(8), action: { type: 'review' } } },
        admin,
      );
      expect(response.errors).toBeUndefined();
    });

    it.each<[string, Record<string, unknown>]>([
      ['an unknown action type', { type: 'explode' }],
      ['autoDismiss without belowConfidence', { type: 'autoDismiss' }],
      ['a review priority of 500', { type: 'review', priority: 500 }],
    ])('refuses %s under input.action', async (_label, action) => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            CREATE_RULE,
            { input: { name: 'Bad action', condition: { verdict: 'review' }, action } },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response).every((name) => name.startsWith('input.action'))).toBe(true);
    });

    it('refuses an invalid condition in updateRule and keeps the stored rule', async () => {
      const before = await api.prisma.rule.findUnique({ where: { id: f.ids.ruleId } });
      const response = await api.gql(
        'mutation ($id: ID!, $input: UpdateRuleInput!) { updateRule(ruleId: $id, input: $input) { id } }',
        { id: f.ids.ruleId, input: { condition: { object: { label: '' } } } },
        admin,
      );
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)[0]).toMatch(/^input\.condition/);
      expect(await api.prisma.rule.findUnique({ where: { id: f.ids.ruleId } })).toEqual(before);
    });
  });

  describe('users and tenants', () => {
    it('refuses a duplicate e-mail with CONFLICT (whatever its case), leaving no user and no audit event', async () => {
      for (const email of [`moderator@${f.slug}.test`, `  MODERATOR@${f.slug.toUpperCase()}.TEST `]) {
        const response = await refusedWithoutTrace(
          () => api.gql(CREATE_USER, { input: { email, role: 'AUDITOR', password: PASSWORD } }, admin),
          'CONFLICT',
        );
        expect(response.errors![0]!.message).toMatch(/email/);
      }
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['a short password', { email: 'short@example.test', password: 'tooshort' }, 'input.password'],
      ['a malformed e-mail', { email: 'not-an-email', password: PASSWORD }, 'input.email'],
    ])('refuses %s with BAD_USER_INPUT naming %s', async (_label, input, field) => {
      const response = await refusedWithoutTrace(
        () => api.gql(CREATE_USER, { input: { role: 'MODERATOR', ...input } }, admin),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(response)).toEqual([field]);
    });

    it('refuses a createTenant with a slug already taken, with CONFLICT, for a platform admin', async () => {
      const platform = await createTenantFixture(api, 'platform');
      await api.prisma.user.update({
        where: { id: platform.userIds.ADMIN },
        data: { isPlatformAdmin: true },
      });
      const tenantsNamed = (name: string) => api.prisma.tenant.count({ where: { name } });
      const auditOf = async () =>
        (await api.prisma.auditEvent.count({ where: { tenantId: f.tenantId } })) +
        (await api.prisma.auditEvent.count({ where: { tenantId: platform.tenantId } }));
      const auditBefore = await auditOf();
      const mutation = `mutation ($input: CreateTenantInput!) { createTenant(input: $input) { tenant { id } } }`;
      for (const slug of [f.slug, f.slug.toUpperCase()]) {
        const response = await api.gql(
          mutation,
          {
            input: {
              slug,
              name: `Duplicate ${f.slug}`,
              adminEmail: 'dup@example.test',
              adminPassword: PASSWORD,
            },
          },
          platform.sessions.ADMIN,
        );
        expect(errorCodes(response)).toEqual(['CONFLICT']);
        expect(response.errors![0]!.message).toMatch(/slug/);
      }
      const bad = await api.gql(
        mutation,
        { input: { slug: 'Not A Slug!', name: `Bad ${f.slug}`, adminEmail: 'bad@example.test' } },
        platform.sessions.ADMIN,
      );
      expect(errorCodes(bad)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(bad)).toEqual(['input.slug']);
      expect(await tenantsNamed(`Duplicate ${f.slug}`)).toBe(0);
      expect(await tenantsNamed(`Bad ${f.slug}`)).toBe(0);
      expect(await auditOf()).toBe(auditBefore);
    }, 30_000);
  });

  describe('ids, cursors and page sizes', () => {
    it.each([
      ['stream', 'streamId'],
      ['rule', 'ruleId'],
      ['promptTemplate', 'templateId'],
      ['promptTemplateVersion', 'versionId'],
      ['user', 'userId'],
      ['analysis', 'analysisId'],
      ['window', 'windowId'],
    ])('refuses %s(%s: "abc") with BAD_USER_INPUT naming the argument', async (field, arg) => {
      const response = await api.gql(`{ ${field}(${arg}: "abc") { id } }`, {}, admin);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual([arg]);
    });

    it.each([
      ['stream', 'streamId'],
      ['rule', 'ruleId'],
      ['promptTemplate', 'templateId'],
      ['user', 'userId'],
      ['analysis', 'analysisId'],
    ])('answers %s with a well-formed but unknown UUID with NOT_FOUND', async (field, arg) => {
      const response = await api.gql(`{ ${field}(${arg}: "${randomUUID()}") { id } }`, {}, admin);
      expect(errorCodes(response)).toEqual(['NOT_FOUND']);
    });

    it('refuses mutations on ids that are not UUIDs, and on unknown UUIDs, without changing anything', async () => {
      const bad = await refusedWithoutTrace(
        () => api.gql('mutation { deleteStream(streamId: "1 OR 1=1") }', {}, admin),
        'BAD_USER_INPUT',
      );
      expect(fieldsOf(bad)).toEqual(['streamId']);
      await refusedWithoutTrace(
        () => api.gql(`mutation { deleteRule(ruleId: "${randomUUID()}") }`, {}, admin),
        'NOT_FOUND',
      );
      await refusedWithoutTrace(
        () => api.gql(`mutation { startStream(streamId: "${randomUUID()}") { id } }`, {}, admin),
        'NOT_FOUND',
      );
    });

    it.each(['garbage', 'bm90LWEtdXVpZA', '%%%', 'a'.repeat(200)])(
      'refuses the cursor after: "%s" with BAD_USER_INPUT',
      async (after) => {
        const response = await api.gql(
          'query ($after: String) { streams(after: $after) { edges { node { id } } } }',
          { after },
          admin,
        );
        expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
        expect(fieldsOf(response).length).toBeGreaterThan(0);
        expect(new Set(fieldsOf(response))).toEqual(new Set(['after']));
      },
    );

    it.each([1000, 101, 0, -1])('refuses first: %i with BAD_USER_INPUT', async (first) => {
      const response = await api.gql(`{ streams(first: ${first}) { edges { node { id } } } }`, {}, admin);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
      expect(fieldsOf(response)).toEqual(['first']);
    });

    it('accepts first: 100, the largest page', async () => {
      const response = await api.gql('{ streams(first: 100) { edges { node { id } } } }', {}, admin);
      expect(response.errors).toBeUndefined();
    });

    it('refuses a bad page size on a nested connection too', async () => {
      const response = await api.gql(
        `{ promptTemplate(templateId: "${f.ids.templateId}") { versions(first: 1000) { edges { node { id } } } } }`,
        {},
        admin,
      );
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });
  });

  describe('stream credentials are never echoed', () => {
    const SECRET = 'pa55word';

    it('masks the password in the createStream response, the list, the stream itself and the audit log', async () => {
      const created = await api.gql<{ createStream: { id: string; sourceUrl: string } }>(
        CREATE_STREAM,
        { input: validStream({ sourceUrl: `rtsp://user:${SECRET}@cam.example.net/x` }) },
        admin,
      );
      expect(created.errors).toBeUndefined();
      const { id, sourceUrl } = created.data!.createStream;
      expect(sourceUrl).toBe('rtsp://user:***@cam.example.net/x');
      expect(JSON.stringify(created)).not.toContain(SECRET);

      // the database keeps the real URL: the sampler needs it to connect
      expect((await api.prisma.stream.findUnique({ where: { id } }))!.sourceUrl).toContain(SECRET);

      const list = await api.gql(
        '{ streams(first: 100) { edges { node { id sourceUrl } } } }',
        {},
        f.sessions.AUDITOR,
      );
      expect(JSON.stringify(list)).toContain(id);
      expect(JSON.stringify(list)).not.toContain(SECRET);

      const one = await api.gql(`{ stream(streamId: "${id}") { sourceUrl } }`, {}, f.apiKeys.MODERATOR);
      expect(one.data).toEqual({ stream: { sourceUrl: 'rtsp://user:***@cam.example.net/x' } });

      const audit = await api.gql(
        `{ auditEvents(first: 100, filter: { entityId: "${id}" }) { edges { node { action data } } } }`,
        {},
        f.sessions.AUDITOR,
      );
      expect(audit.errors).toBeUndefined();
      expect(JSON.stringify(audit)).toContain('stream.create');
      expect(JSON.stringify(audit)).not.toContain(SECRET);
    });

    it('masks a token in the query string and a bare user-info credential, on update too', async () => {
      const created = await api.gql<{ createStream: { id: string; sourceUrl: string } }>(
        CREATE_STREAM,
        { input: validStream({ sourceUrl: `https://cdn.example.net/live.m3u8?token=${SECRET}&q=1` }) },
        admin,
      );
      expect(created.errors).toBeUndefined();
      expect(created.data!.createStream.sourceUrl).not.toContain(SECRET);
      const id = created.data!.createStream.id;

      const updated = await api.gql(
        'mutation ($id: ID!, $url: String!) { updateStream(streamId: $id, input: { sourceUrl: $url }) { sourceUrl } }',
        { id, url: `rtsp://${SECRET}@cam.example.net/y` },
        admin,
      );
      expect(updated.errors).toBeUndefined();
      expect(JSON.stringify(updated)).not.toContain(SECRET);

      const audit = await api.gql(
        `{ auditEvents(first: 100, filter: { entityId: "${id}" }) { edges { node { action data } } } }`,
        {},
        f.sessions.AUDITOR,
      );
      expect(JSON.stringify(audit)).toContain('stream.update');
      expect(JSON.stringify(audit)).not.toContain(SECRET);
    });

    it.each([
      ['pwd', 'http://cam.example.net/cgi-bin/snapshot.cgi?user=admin&pwd=SECRET'],
      ['passwd', 'http://cam.example.net/video.cgi?usr=admin&passwd=SECRET'],
      ['psw', 'http://cam.example.net/videostream.cgi?loginuse=admin&loginpas=x&psw=SECRET'],
      ['pw', 'https://cdn.example.net/live.m3u8?pw=SECRET'],
      ['sid', 'https://cdn.example.net/live.m3u8?sid=SECRET'],
      ['session', 'https://cdn.example.net/live.m3u8?session=SECRET'],
      ['access_token', 'https://cdn.example.net/live.m3u8?access_token=SECRET'],
      [
        'Policy (signed CDN URLs)',
        'https://cdn.example.net/live.m3u8?Policy=SECRET&Signature=SECRET&Key-Pair-Id=SECRET',
      ],
    ])('masks a %s credential in the query for every role', async (_name, url) => {
      const secret = `s3cr3t${randomUUID().slice(0, 8)}`;
      const created = await api.gql<{ createStream: { id: string } }>(
        CREATE_STREAM,
        { input: validStream({ sourceUrl: url.replaceAll('SECRET', secret) }) },
        admin,
      );
      expect(created.errors).toBeUndefined();
      expect(JSON.stringify(created)).not.toContain(secret);
      const read = await api.gql(
        'query ($id: ID!) { stream(streamId: $id) { sourceUrl } }',
        { id: created.data!.createStream.id },
        f.sessions.AUDITOR,
      );
      expect(read.errors).toBeUndefined();
      expect(JSON.stringify(read)).not.toContain(secret);
    });

    it('does not echo the credential in the error when the URL is refused', async () => {
      const response = await refusedWithoutTrace(
        () =>
          api.gql(
            CREATE_STREAM,
            { input: validStream({ sourceUrl: `rtsp://user:${SECRET}@169.254.169.254/x` }) },
            admin,
          ),
        'BAD_USER_INPUT',
      );
      expect(JSON.stringify(response)).not.toContain(SECRET);
    });
  });

  describe('a failed mutation leaves no audit event', () => {
    it('writes no audit event for a refused createStream, and exactly one for an accepted one', async () => {
      const auditBefore = await api.prisma.auditEvent.count({ where: { tenantId: f.tenantId } });
      const refused = await api.gql(CREATE_STREAM, { input: validStream({ fps: 0 }) }, admin);
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      const forbidden = await api.gql(CREATE_STREAM, { input: validStream() }, f.sessions.MODERATOR);
      expect(errorCodes(forbidden)).toEqual(['FORBIDDEN']);
      expect(await api.prisma.auditEvent.count({ where: { tenantId: f.tenantId } })).toBe(auditBefore);

      const accepted = await api.gql(CREATE_STREAM, { input: validStream() }, admin);
      expect(accepted.errors).toBeUndefined();
      expect(await api.prisma.auditEvent.count({ where: { tenantId: f.tenantId } })).toBe(auditBefore + 1);
    });
  });

  it('after all that bad input, the rows the tenant already had are exactly as they were', async () => {
    expect(await fixtureRows()).toEqual(originalRows);
    const headers = bearer(admin);
    const still = await gqlWithHeaders(
      api,
      '{ stream(streamId: "' + f.ids.streamId + '") { name } }',
      {},
      headers,
    );
    expect(still.data).toEqual({ stream: { name: 'Front lawn' } });
  });
});
