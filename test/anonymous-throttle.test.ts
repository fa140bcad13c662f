import { randomBytes, randomInt } from 'node:crypto';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { PROTOCOL, wsUrl } from './support/graphql-ws-client';
import { gqlWithHeaders, RawResponse } from './support/raw-http';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';

/**
 * Requests without a valid credential cost something before they are refused (a credential is
 * looked up in PostgreSQL, a login hashes a password), so each client address has a budget for
 * them: anonymous requests and refused credentials count, valid credentials give theirs back. A
 * credential refused a moment ago is refused again without a look-up.
 */
const ME = '{ myTenant { id } }';
const LIMIT = 5;

const addressPrefix = `192.0.${randomInt(256)}`;
let addressCount = 0;
const newAddress = (): string => `${addressPrefix}.${(addressCount += 1)}`;
const from = (address: string, credential?: string): Record<string, string> => ({
  'x-forwarded-for': address,
  ...(credential ? { authorization: `Bearer ${credential}` } : {}),
});
const garbageSession = (): string => `vgs_${randomBytes(32).toString('base64url')}`;

function expectAnonymousRate(response: RawResponse<unknown>): void {
  expect({ codes: errorCodes(response), reasons: errorReasons(response) }).toEqual({
    codes: ['RATE_LIMITED'],
    reasons: ['ANONYMOUS_RATE'],
  });
  expect(response.status).toBe(429);
  const retry = response.errors![0]!.extensions!.retryAfterSeconds as number;
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(60);
  expect(response.headers.get('retry-after')).toBe(String(retry));
}

/** Opens a WebSocket from `address` (through the local proxy's header) and resolves with its close code. */
function connectFrom(api: TestApi, address: string, credential: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(api), PROTOCOL, { headers: { 'x-forwarded-for': address } });
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${credential}` } }),
      ),
    );
    socket.on('message', () => socket.close(1000));
    socket.on('close', (code) => resolve(code));
    socket.on('error', reject);
  });
}

describe('requests without a valid credential', () => {
  let api: TestApi;
  let f: TenantFixture;
  const admin = () => ({
    kind: 'user' as const,
    id: f.userIds.ADMIN,
    tenantId: f.tenantId,
    role: 'ADMIN' as const,
    isPlatformAdmin: false,
  });
  /** A key nobody has used yet, so no API process has verified (cached) it. */
  const freshKey = async () =>
    api.services.apiKeys.create(tenantDb(api.prisma, f.tenantId), admin(), {
      name: `fresh ${randomInt(1e9)}`,
      role: 'AUDITOR',
    });

  beforeAll(async () => {
    api = await startTestApi({
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(LIMIT),
      AUTH_CACHE_TTL_MS: '60000',
      AUTH_NEGATIVE_CACHE_TTL_MS: '60000',
    });
    f = await createTenantFixture(api, 'anonymous');
  }, 60_000);

  afterAll(() => api?.stop());

  it('limits anonymous requests per client address, login included', async () => {
    const address = newAddress();
    for (let i = 1; i <= LIMIT; i += 1) {
      const response = await gqlWithHeaders(api, '{ __typename }', {}, from(address));
      expect({ i, status: response.status, codes: errorCodes(response) }).toEqual({
        i,
        status: 200,
        codes: [],
      });
    }
    expectAnonymousRate(await gqlWithHeaders(api, '{ __typename }', {}, from(address)));
    expectAnonymousRate(
      await gqlWithHeaders(
        api,
        'mutation ($input: LoginInput!) { login(input: $input) { token } }',
        { input: { tenantSlug: f.slug, email: `admin@${f.slug}.test`, password: 'whatever it is' } },
        from(address),
      ),
    );
    // Another address has its own budget.
    expect(errorCodes(await gqlWithHeaders(api, '{ __typename }', {}, from(newAddress())))).toEqual([]);
  });

  it('limits refused credentials per client address, while valid ones cost nothing', async () => {
    const address = newAddress();
    // More valid credentials than the budget, each verified for the first time: none is counted.
    const keys = await Promise.all(Array.from({ length: LIMIT + 2 }, () => freshKey()));
    for (const key of keys) {
      expect(errorCodes(await gqlWithHeaders(api, ME, {}, from(address, key.secret)))).toEqual([]);
    }
    for (let i = 1; i <= LIMIT; i += 1) {
      const response = await gqlWithHeaders(api, ME, {}, from(address, garbageSession()));
      expect({ i, status: response.status, codes: errorCodes(response) }).toEqual({
        i,
        status: 401,
        codes: ['UNAUTHENTICATED'],
      });
    }
    expectAnonymousRate(await gqlWithHeaders(api, ME, {}, from(address, garbageSession())));
    // The same over WebSocket: connection_init with a made-up credential is closed with 4429.
    expect(await connectFrom(api, address, garbageSession())).toBe(4429);
    // A credential this process verified a moment ago still works from there; one it has not
    // verified waits, like the made-up ones, until the address's minute is over.
    expect(errorCodes(await gqlWithHeaders(api, ME, {}, from(address, keys[0]!.secret)))).toEqual([]);
    expectAnonymousRate(await gqlWithHeaders(api, ME, {}, from(address, (await freshKey()).secret)));
    // Other addresses are not affected.
    expect(
      errorCodes(await gqlWithHeaders(api, ME, {}, from(newAddress(), (await freshKey()).secret))),
    ).toEqual([]);
  });

  describe('with a table locked, so that any look-up in it hangs', () => {
    let pg: PgClient;

    beforeEach(async () => {
      pg = new PgClient({ connectionString: api.config.DATABASE_URL });
      await pg.connect();
    });
    afterEach(async () => {
      await pg.query('ROLLBACK').catch(() => undefined);
      await pg.end();
    });

    const lock = async (table: string) => {
      await pg.query('BEGIN');
      await pg.query(`LOCK TABLE "${table}" IN ACCESS EXCLUSIVE MODE`);
    };
    /** The answer within `ms`, or 'pending' when the request is still waiting. */
    const within = <T>(request: Promise<T>, ms: number): Promise<T | 'pending'> =>
      Promise.race([request, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

    it('refuses a session token refused a moment ago without looking it up again', async () => {
      const address = newAddress();
      const token = garbageSession();
      expect(errorCodes(await gqlWithHeaders(api, ME, {}, from(address, token)))).toEqual([
        'UNAUTHENTICATED',
      ]);
      await lock('Session');
      const again = await within(gqlWithHeaders(api, ME, {}, from(address, token)), 2_000);
      expect(again === 'pending' ? 'pending' : errorCodes(again)).toEqual(['UNAUTHENTICATED']);
      // A token not seen before is looked up: it waits for the lock (so the check above can fail).
      const unseen = gqlWithHeaders(api, ME, {}, from(address, garbageSession()));
      expect(await within(unseen, 500)).toBe('pending');
      await pg.query('ROLLBACK');
      expect(errorCodes(await unseen)).toEqual(['UNAUTHENTICATED']);
    });

    it('does not let a refused key shadow the real key with the same prefix', async () => {
      const address = newAddress();
      const { secret } = await freshKey();
      const tampered = secret.slice(0, -4) + (secret.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      expect(errorCodes(await gqlWithHeaders(api, ME, {}, from(address, tampered)))).toEqual([
        'UNAUTHENTICATED',
      ]);
      await lock('ApiKey');
      const again = await within(gqlWithHeaders(api, ME, {}, from(address, tampered)), 2_000);
      expect(again === 'pending' ? 'pending' : errorCodes(again)).toEqual(['UNAUTHENTICATED']);
      const real = gqlWithHeaders(api, ME, {}, from(address, secret));
      expect(await within(real, 500)).toBe('pending');
      await pg.query('ROLLBACK');
      const answer = await real;
      expect(errorCodes(answer)).toEqual([]);
      expect(answer.data).toEqual({ myTenant: { id: f.tenantId } });
    });
  });
});
