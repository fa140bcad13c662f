import { randomInt } from 'node:crypto';
import { sha256Hex } from '../src/auth/secret-token';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { bearer, gqlWithHeaders, RawResponse } from './support/raw-http';
import { createTenantFixture, PASSWORD, TenantFixture } from './support/tenant-fixture';

/**
 * The API's limits: GraphQL document limits (depth, cost, aliases, tokens), rate limits kept in
 * Redis and shared by every API process, authentication, and API key secrets.
 */

const DEEP_QUERY = '{ streams { edges { node { template { activeVersion { id } } } } } }';
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { token user { id email } } }`;
const ME = '{ me { id email role } }';

/** A made-up client address, new for every call, so login budgets per address never collide. */
const addressPrefix = `198.${18 + randomInt(2)}.${randomInt(256)}`;
let addressCount = 0;
const clientAddress = (): string => `${addressPrefix}.${(addressCount += 1)}`;
const fromAddress = (address: string) => ({ 'x-forwarded-for': address });

function expectRateLimited(response: RawResponse<unknown>): void {
  expect(errorCodes(response)).toEqual(['RATE_LIMITED']);
  expect(response.status).toBe(429);
  const retry = response.errors![0]!.extensions!.retryAfterSeconds;
  expect(typeof retry).toBe('number');
  expect(retry as number).toBeGreaterThan(0);
  expect(retry as number).toBeLessThanOrEqual(60);
}

describe('limits, authentication and API keys', () => {
  let api: TestApi;
  let f: TenantFixture;
  const started: TestApi[] = [];

  const start = async (env: Record<string, string>): Promise<TestApi> => {
    const instance = await startTestApi(env);
    started.push(instance);
    return instance;
  };

  const adminActor = () => ({
    kind: 'user' as const,
    id: f.userIds.ADMIN,
    tenantId: f.tenantId,
    role: 'ADMIN' as const,
    isPlatformAdmin: false,
  });

  /** A fresh API key of the fixture's tenant, so rate-limit budgets never carry over between tests. */
  const freshKey = async (role: 'ADMIN' | 'MODERATOR' | 'AUDITOR' = 'AUDITOR') =>
    api.services.apiKeys.create(tenantDb(api.prisma, f.tenantId), adminActor(), {
      name: `key ${randomInt(1e9)}`,
      role,
    });

  /** A user nobody has logged in as yet (the fixture's users already spent login attempts). */
  const freshUser = async (role: 'MODERATOR' | 'AUDITOR' = 'AUDITOR'): Promise<string> => {
    const email = `fresh-${randomInt(1e9)}@${f.slug}.test`;
    await api.services.users.create(tenantDb(api.prisma, f.tenantId), adminActor(), {
      email,
      role,
      password: PASSWORD,
    });
    return email;
  };

  beforeAll(async () => {
    api = await start({});
    f = await createTenantFixture(api, 'limits');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(started.map((instance) => instance.stop()));
  });

  describe('GraphQL document limits', () => {
    it('refuses a query deeper than GRAPHQL_MAX_DEPTH, and accepts it under the default limit', async () => {
      const shallow = await start({ GRAPHQL_MAX_DEPTH: '3' });
      const refused = await shallow.gql(DEEP_QUERY, {}, f.sessions.ADMIN);
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.status).toBe(400);
      expect(refused.errors![0]!.message).toMatch(/depth/i);
      expect(refused.data ?? null).toBeNull();

      const accepted = await api.gql<{ streams: { edges: { node: { template: unknown } }[] } }>(
        DEEP_QUERY,
        {},
        f.sessions.ADMIN,
      );
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data!.streams.edges[0]!.node.template).toEqual({
        activeVersion: { id: f.ids.versionId },
      });

      const fine = await shallow.gql('{ streams { edges { cursor } } }', {}, f.sessions.ADMIN);
      expect(fine.errors).toBeUndefined();
    });

    it('counts depth through fragments too', async () => {
      const shallow = await start({ GRAPHQL_MAX_DEPTH: '3' });
      const response = await shallow.gql(
        `{ streams { ...S } }
         fragment S on StreamConnection { edges { node { template { activeVersion { id } } } } }`,
        {},
        f.sessions.ADMIN,
      );
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses an operation over GRAPHQL_MAX_COST, and accepts a cheap one', async () => {
      const cheap = await start({ GRAPHQL_MAX_COST: '20' });
      const refused = await cheap.gql(
        '{ streams(first: 100) { edges { node { id name sourceUrl template { name activeVersion { id version systemText } } } } } }',
        {},
        f.sessions.ADMIN,
      );
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.status).toBe(400);
      expect(refused.errors![0]!.message).toMatch(/cost/i);

      const accepted = await cheap.gql('{ me { id } }', {}, f.sessions.ADMIN);
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data).toEqual({ me: { id: f.userIds.ADMIN } });
    });

    it('refuses more aliases than GRAPHQL_MAX_ALIASES, and accepts exactly the limit', async () => {
      const few = await start({ GRAPHQL_MAX_ALIASES: '2' });
      const three = await few.gql('{ a: me { id } b: me { id } c: me { id } }', {}, f.sessions.ADMIN);
      expect(errorCodes(three)).toEqual(['BAD_USER_INPUT']);
      expect(three.status).toBe(400);
      expect(three.errors![0]!.message).toMatch(/alias/i);

      const viaFragment = await few.gql(
        '{ ...F } fragment F on Query { a: me { id } b: me { id } c: me { id } }',
        {},
        f.sessions.ADMIN,
      );
      expect(errorCodes(viaFragment)).toEqual(['BAD_USER_INPUT']);

      const two = await few.gql('{ a: me { id } b: me { id } }', {}, f.sessions.ADMIN);
      expect(two.errors).toBeUndefined();
    });

    it('refuses a document with more lexical tokens than GRAPHQL_MAX_TOKENS', async () => {
      const terse = await start({ GRAPHQL_MAX_TOKENS: '100' });
      const fields = Array.from({ length: 60 }, () => 'id name').join(' ');
      const refused = await terse.gql(`{ streams { edges { node { ${fields} } } } }`, {}, f.sessions.ADMIN);
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      expect(refused.status).toBe(400);
      expect(refused.errors![0]!.message).toMatch(/token/i);

      const accepted = await terse.gql('{ streams { edges { node { id name } } } }', {}, f.sessions.ADMIN);
      expect(accepted.errors).toBeUndefined();
    });

    it('refuses introspection when GRAPHQL_INTROSPECTION is false', async () => {
      const closed = await start({ GRAPHQL_INTROSPECTION: 'false' });
      const refused = await closed.gql('{ __schema { queryType { name } } }', {}, f.sessions.ADMIN);
      expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
      const open = await api.gql('{ __schema { queryType { name } } }', {}, f.sessions.ADMIN);
      expect(open.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });

    it('in production serves neither introspection nor "did you mean" suggestions unless configured', async () => {
      const production = await start({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: '' });
      const introspection = await production.gql('{ __schema { queryType { name } } }', {}, f.sessions.ADMIN);
      expect(errorCodes(introspection)).toEqual(['BAD_USER_INPUT']);
      const typo = await production.gql('{ streamz { edges { node { id } } } }', {}, f.sessions.ADMIN);
      expect(errorCodes(typo)).toEqual(['BAD_USER_INPUT']);
      expect(typo.errors![0]!.message).toBe('Cannot query field "streamz" on type "Query".');

      // Outside production, and where an operator turns it on, both are served.
      const suggested = await api.gql('{ streamz { edges { node { id } } } }', {}, f.sessions.ADMIN);
      expect(suggested.errors![0]!.message).toMatch(/Did you mean .*"streams"/);
      const opened = await start({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' });
      const allowed = await opened.gql('{ __schema { queryType { name } } }', {}, f.sessions.ADMIN);
      expect(allowed.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    });
  });

  describe('rate limits in Redis', () => {
    it('gives the 6th request of one API key RATE_LIMITED (429, retryAfterSeconds) while another key still works', async () => {
      const limited = await start({ RATE_LIMIT_API_KEY_PER_MINUTE: '5' });
      const key = (await freshKey()).secret;
      const other = (await freshKey()).secret;
      for (let i = 1; i <= 5; i += 1) {
        const response = await gqlWithHeaders(limited, '{ myTenant { id } }', {}, bearer(key));
        expect({ i, errors: response.errors }).toEqual({ i, errors: undefined });
      }
      expectRateLimited(await gqlWithHeaders(limited, '{ myTenant { id } }', {}, bearer(key)));
      // the same key in the x-api-key header is the same budget
      expectRateLimited(await gqlWithHeaders(limited, '{ myTenant { id } }', {}, { 'x-api-key': key }));

      const fine = await gqlWithHeaders(limited, '{ myTenant { id } }', {}, bearer(other));
      expect(fine.status).toBe(200);
      expect(fine.data).toEqual({ myTenant: { id: f.tenantId } });
    });

    it('limits requests per login session as well', async () => {
      const limited = await start({ RATE_LIMIT_SESSION_PER_MINUTE: '3' });
      const { token } = await api.services.auth.login(
        { tenantSlug: f.slug, email: `auditor@${f.slug}.test`, password: PASSWORD },
        clientAddress(),
      );
      for (let i = 1; i <= 3; i += 1) {
        expect((await limited.gql(ME, {}, token)).errors).toBeUndefined();
      }
      expectRateLimited(await gqlWithHeaders(limited, ME, {}, bearer(token)));
      // another session of the same user has its own budget
      expect((await limited.gql(ME, {}, f.sessions.AUDITOR)).errors).toBeUndefined();
    });

    it('shares an API key budget between two API processes on the same Redis', async () => {
      const [a, b] = await Promise.all([
        start({ RATE_LIMIT_API_KEY_PER_MINUTE: '5' }),
        start({ RATE_LIMIT_API_KEY_PER_MINUTE: '5' }),
      ]);
      const key = (await freshKey()).secret;
      const instances = [a, b, a, b, a];
      for (const [i, instance] of instances.entries()) {
        const response = await instance.gql('{ myTenant { id } }', {}, key);
        expect({ i, errors: response.errors }).toEqual({ i, errors: undefined });
      }
      expectRateLimited(await gqlWithHeaders(b, '{ myTenant { id } }', {}, bearer(key)));
      expectRateLimited(await gqlWithHeaders(a, '{ myTenant { id } }', {}, bearer(key)));
    });

    it('gives the 4th wrong-password login for one account RATE_LIMITED, even with the right password then', async () => {
      const limited = await start({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' });
      const address = clientAddress();
      const attempt = (email: string, password: string, from = address) =>
        gqlWithHeaders(limited, LOGIN, { input: { tenantSlug: f.slug, email, password } }, fromAddress(from));
      const email = await freshUser('MODERATOR');
      for (let i = 1; i <= 3; i += 1) {
        const response = await attempt(email, `wrong password ${i}`);
        expect({ i, codes: errorCodes(response) }).toEqual({ i, codes: ['UNAUTHENTICATED'] });
      }
      expectRateLimited(await attempt(email, 'wrong password 4'));
      expectRateLimited(await attempt(email, PASSWORD));
      // the same account spelled differently, or from another address it never signed in from,
      // is the same account
      expectRateLimited(await attempt(`  ${email.toUpperCase()} `, PASSWORD));
      expectRateLimited(await attempt(email, PASSWORD, clientAddress()));

      // another account is not affected
      const other = await attempt(await freshUser(), PASSWORD);
      expect(other.errors).toBeUndefined();
    }, 30_000);

    it('limits failed logins per client address to RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE, across accounts', async () => {
      const limited = await start({
        RATE_LIMIT_LOGIN_PER_MINUTE: '2',
        RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '10',
      });
      const address = clientAddress();
      const attempt = (email: string) =>
        gqlWithHeaders(
          limited,
          LOGIN,
          { input: { tenantSlug: f.slug, email, password: 'not the password' } },
          fromAddress(address),
        );
      for (let i = 1; i <= 10; i += 1) {
        const response = await attempt(`nobody-${i}@${f.slug}.test`);
        expect({ i, codes: errorCodes(response) }).toEqual({ i, codes: ['UNAUTHENTICATED'] });
      }
      expectRateLimited(await attempt(`nobody-11@${f.slug}.test`));
    }, 30_000);

    it('shares the login budget of an account between two API processes', async () => {
      const [a, b] = await Promise.all([
        start({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' }),
        start({ RATE_LIMIT_LOGIN_PER_MINUTE: '3' }),
      ]);
      const address = clientAddress();
      const input = { tenantSlug: f.slug, email: await freshUser(), password: 'not it' };
      for (const [i, instance] of [a, b, a].entries()) {
        const response = await gqlWithHeaders(instance, LOGIN, { input }, fromAddress(address));
        expect({ i, codes: errorCodes(response) }).toEqual({ i, codes: ['UNAUTHENTICATED'] });
      }
      expectRateLimited(await gqlWithHeaders(b, LOGIN, { input }, fromAddress(address)));
    }, 30_000);
  });

  describe('authentication', () => {
    const login = (email: string, password = PASSWORD, tenantSlug = f.slug) =>
      gqlWithHeaders<{ login: { token: string; user: { id: string; email: string } } }>(
        api,
        LOGIN,
        { input: { tenantSlug, email, password } },
        fromAddress(clientAddress()),
      );

    const createUser = async (role: 'MODERATOR' | 'AUDITOR') => {
      const email = `${randomInt(1e9)}@${f.slug}.test`;
      const created = await api.gql<{ createUser: { user: { id: string } } }>(
        'mutation ($input: CreateUserInput!) { createUser(input: $input) { user { id } } }',
        { input: { email, role, password: PASSWORD } },
        f.sessions.ADMIN,
      );
      expect(created.errors).toBeUndefined();
      const session = await login(email);
      expect(session.errors).toBeUndefined();
      return { id: created.data!.createUser.user.id, email, token: session.data!.login.token };
    };

    it('answers a protected query without a token with UNAUTHENTICATED (401)', async () => {
      const response = await gqlWithHeaders(api, '{ streams { edges { node { id } } } }');
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.status).toBe(401);
      expect(response.data ?? null).toBeNull();
    });

    it.each([
      ['a garbage bearer', 'garbage'],
      ['a session-shaped garbage token', 'vgs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
      ['an API-key-shaped garbage key', `vgk_0123456789ab_${'A'.repeat(43)}`],
    ])('answers %s with UNAUTHENTICATED (401)', async (_label, credential) => {
      const response = await gqlWithHeaders(api, '{ myTenant { id } }', {}, bearer(credential));
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.status).toBe(401);
    });

    it('refuses a real API key prefix with a wrong secret', async () => {
      const { secret } = await freshKey();
      const tampered = secret.slice(0, -4) + (secret.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const response = await gqlWithHeaders(api, '{ myTenant { id } }', {}, bearer(tampered));
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.status).toBe(401);
    });

    it('refuses an API key at once after an admin revokes it (even one used a moment before)', async () => {
      const { secret, apiKey } = await freshKey('MODERATOR');
      expect((await api.gql('{ myTenant { id } }', {}, secret)).errors).toBeUndefined();
      const revoked = await api.gql<{ revokeApiKey: { revokedAt: string | null } }>(
        'mutation ($id: ID!) { revokeApiKey(apiKeyId: $id) { revokedAt } }',
        { id: apiKey.id },
        f.sessions.ADMIN,
      );
      expect(revoked.errors).toBeUndefined();
      expect(revoked.data!.revokeApiKey.revokedAt).not.toBeNull();
      const response = await gqlWithHeaders(api, '{ myTenant { id } }', {}, bearer(secret));
      expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
      expect(response.status).toBe(401);

      const again = await api.gql(
        'mutation ($id: ID!) { revokeApiKey(apiKeyId: $id) { id } }',
        { id: apiKey.id },
        f.sessions.ADMIN,
      );
      expect(errorCodes(again)).toEqual(['CONFLICT']);
    });

    it('refuses a revoked API key in another API process too', async () => {
      const other = await start({});
      const { secret, apiKey } = await freshKey();
      expect((await other.gql('{ myTenant { id } }', {}, secret)).errors).toBeUndefined();
      const revoked = await api.gql(
        'mutation ($id: ID!) { revokeApiKey(apiKeyId: $id) { id } }',
        { id: apiKey.id },
        f.sessions.ADMIN,
      );
      expect(revoked.errors).toBeUndefined();
      // the revocation travels over Redis; give it a moment, but not the cache's lifetime
      let codes: string[] = [];
      for (let i = 0; i < 20 && codes[0] !== 'UNAUTHENTICATED'; i += 1) {
        codes = errorCodes(await other.gql('{ myTenant { id } }', {}, secret));
        if (codes[0] !== 'UNAUTHENTICATED') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(codes).toEqual(['UNAUTHENTICATED']);
    });

    it('login returns a token that works for `me`, and logout ends it for good', async () => {
      const session = await login(`auditor@${f.slug}.test`);
      expect(session.errors).toBeUndefined();
      const { token, user } = session.data!.login;
      expect(token).toMatch(/^vgs_/);
      expect(user.email).toBe(`auditor@${f.slug}.test`);

      const me = await api.gql(ME, {}, token);
      expect(me.data).toEqual({
        me: { id: f.userIds.AUDITOR, email: `auditor@${f.slug}.test`, role: 'AUDITOR' },
      });

      const logout = await api.gql('mutation { logout }', {}, token);
      expect(logout.data).toEqual({ logout: true });
      const after = await gqlWithHeaders(api, ME, {}, bearer(token));
      expect(errorCodes(after)).toEqual(['UNAUTHENTICATED']);
      expect(after.status).toBe(401);
      // the user's other sessions live on
      expect((await api.gql(ME, {}, f.sessions.AUDITOR)).errors).toBeUndefined();
    });

    it('logout with an API key returns false and the key keeps working', async () => {
      const { secret } = await freshKey();
      expect((await api.gql('mutation { logout }', {}, secret)).data).toEqual({ logout: false });
      expect((await api.gql(ME, {}, secret)).data).toEqual({ me: null });
    });

    it('a disabled user loses their existing session at once and cannot log in', async () => {
      const user = await createUser('MODERATOR');
      expect((await api.gql(ME, {}, user.token)).errors).toBeUndefined();

      const disabled = await api.gql(
        'mutation ($id: ID!) { updateUser(userId: $id, input: { disabled: true }) { id disabledAt } }',
        { id: user.id },
        f.sessions.ADMIN,
      );
      expect(disabled.errors).toBeUndefined();

      const after = await gqlWithHeaders(api, ME, {}, bearer(user.token));
      expect(errorCodes(after)).toEqual(['UNAUTHENTICATED']);
      expect(after.status).toBe(401);
      const again = await login(user.email);
      expect(errorCodes(again)).toEqual(['UNAUTHENTICATED']);
    });

    it('a role change applies to an existing session at once', async () => {
      const user = await createUser('MODERATOR');
      const pause = (token: string) =>
        api.gql('mutation ($id: ID!) { pauseStream(streamId: $id) { id } }', { id: f.ids.streamId }, token);
      // a moderator may control streams (the fixture's stream is STOPPED, so pausing it conflicts)
      expect(errorCodes(await pause(user.token))).toEqual(['CONFLICT']);
      const changed = await api.gql(
        'mutation ($id: ID!) { updateUser(userId: $id, input: { role: AUDITOR }) { role } }',
        { id: user.id },
        f.sessions.ADMIN,
      );
      expect(changed.data).toEqual({ updateUser: { role: 'AUDITOR' } });
      expect(errorCodes(await pause(user.token))).toEqual(['FORBIDDEN']);
      expect((await api.gql(ME, {}, user.token)).data).toMatchObject({ me: { role: 'AUDITOR' } });
    });

    it('a deleted user’s session ends with them', async () => {
      const user = await createUser('AUDITOR');
      expect((await api.gql(ME, {}, user.token)).errors).toBeUndefined();
      const deleted = await api.gql(
        'mutation ($id: ID!) { deleteUser(userId: $id) }',
        { id: user.id },
        f.sessions.ADMIN,
      );
      expect(deleted.data).toEqual({ deleteUser: user.id });
      expect(errorCodes(await api.gql(ME, {}, user.token))).toEqual(['UNAUTHENTICATED']);
    });

    it('refuses an expired session', async () => {
      const { token } = await api.services.auth.login(
        { tenantSlug: f.slug, email: `auditor@${f.slug}.test`, password: PASSWORD },
        clientAddress(),
      );
      await api.prisma.session.update({
        where: { tokenHash: sha256Hex(token) },
        data: { expiresAt: new Date(Date.now() - 1_000) },
      });
      expect(errorCodes(await api.gql(ME, {}, token))).toEqual(['UNAUTHENTICATED']);
    });

    it('gives the same error for an unknown tenant, an unknown e-mail and a wrong password', async () => {
      const disabledUser = await createUser('AUDITOR');
      await api.gql(
        'mutation ($id: ID!) { updateUser(userId: $id, input: { disabled: true }) { id } }',
        { id: disabledUser.id },
        f.sessions.ADMIN,
      );
      const responses = await Promise.all([
        login(`admin@${f.slug}.test`, PASSWORD, 'no-such-tenant'),
        login(`nobody@${f.slug}.test`),
        login(`admin@${f.slug}.test`, 'a wrong password'),
        login(disabledUser.email),
      ]);
      const shapes = responses.map((response) => ({
        status: response.status,
        codes: errorCodes(response),
        message: response.errors?.[0]?.message,
        data: response.data ?? null,
      }));
      expect(shapes[0]!.codes).toEqual(['UNAUTHENTICATED']);
      expect(shapes[0]!.status).toBe(401);
      for (const shape of shapes) expect(shape).toEqual(shapes[0]);
    }, 30_000);
  });

  describe('API keys', () => {
    const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) {
      createApiKey(input: $input) { secret apiKey { id name prefix role lastUsedAt revokedAt } }
    }`;

    it('returns the secret once, never lists it, and stores only a digest', async () => {
      const created = await api.gql<{
        createApiKey: { secret: string; apiKey: { id: string; prefix: string; lastUsedAt: string | null } };
      }>(CREATE_KEY, { input: { name: 'partner feed', role: 'MODERATOR' } }, f.sessions.ADMIN);
      expect(created.errors).toBeUndefined();
      const { secret, apiKey } = created.data!.createApiKey;
      expect(secret).toMatch(/^vgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      expect(secret.startsWith(`vgk_${apiKey.prefix}_`)).toBe(true);
      expect(apiKey.lastUsedAt).toBeNull();
      const secretPart = secret.slice(`vgk_${apiKey.prefix}_`.length);

      for (const credential of [f.sessions.ADMIN, f.sessions.AUDITOR, f.apiKeys.AUDITOR]) {
        const list = await api.gql(
          '{ apiKeys(first: 100) { edges { node { id name prefix role lastUsedAt } } } }',
          {},
          credential,
        );
        expect(list.errors).toBeUndefined();
        const text = JSON.stringify(list);
        expect(text).toContain(apiKey.id);
        expect(text).not.toContain(secretPart);
      }
      const audit = await api.gql(
        `{ auditEvents(first: 100, filter: { entityId: "${apiKey.id}" }) { edges { node { action data } } } }`,
        {},
        f.sessions.AUDITOR,
      );
      expect(JSON.stringify(audit)).toContain('apiKey.create');
      expect(JSON.stringify(audit)).not.toContain(secretPart);

      const row = await api.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
      expect(row.secretHash).not.toBe(secret);
      expect(row.secretHash).not.toBe(secretPart);
      const stored = JSON.stringify(row);
      expect(stored).not.toContain(secretPart);
      expect(stored).not.toContain(secret);
      const events = await api.prisma.auditEvent.findMany({ where: { tenantId: f.tenantId } });
      expect(JSON.stringify(events)).not.toContain(secretPart);
    });

    it('records lastUsedAt after the key is used', async () => {
      const { secret, apiKey } = await freshKey();
      expect(apiKey.lastUsedAt).toBeNull();
      const before = Date.now();
      expect((await gqlWithHeaders(api, '{ myTenant { id } }', {}, { 'x-api-key': secret })).data).toEqual({
        myTenant: { id: f.tenantId },
      });
      let lastUsedAt: Date | null = null;
      for (let i = 0; i < 40 && !lastUsedAt; i += 1) {
        lastUsedAt = (await api.prisma.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } })).lastUsedAt;
        if (!lastUsedAt) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(lastUsedAt).not.toBeNull();
      expect(lastUsedAt!.getTime()).toBeGreaterThanOrEqual(before - 1_000);
      expect(lastUsedAt!.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);

      const listed = await api.gql<{
        apiKeys: { edges: { node: { id: string; lastUsedAt: string | null } }[] };
      }>('{ apiKeys(first: 100) { edges { node { id lastUsedAt } } } }', {}, f.sessions.AUDITOR);
      const node = listed.data!.apiKeys.edges.find((edge) => edge.node.id === apiKey.id)!.node;
      expect(node.lastUsedAt).not.toBeNull();
    });

    it('acts with the role of the key, not of the admin who created it', async () => {
      const { secret } = await freshKey('AUDITOR');
      const response = await api.gql(
        'mutation { createStream(input: { name: "by auditor key", sourceUrl: "rtsp://cam.example.net/a" }) { id } }',
        {},
        secret,
      );
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
    });
  });
});
