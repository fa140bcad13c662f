import { randomInt } from 'node:crypto';
import { tenantDb } from '../src/db/tenant-scoped-db';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { gqlWithHeaders, RawResponse } from './support/raw-http';
import { createTenantFixture, PASSWORD, TenantFixture } from './support/tenant-fixture';

/**
 * Login budgets that stop password guessing without handing strangers a way to lock an account:
 * failures from addresses an account has never signed in from share one budget per account, an
 * address the account's owner signed in from keeps a budget of its own, and every address has a
 * strict budget across accounts. Two API processes share all of it through Redis.
 */
const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { token user { id } } }`;

const addressPrefix = `203.${randomInt(256)}.${randomInt(256)}`;
let addressCount = 0;
const newAddress = (): string => `${addressPrefix}.${(addressCount += 1)}`;

function expectLoginRate(response: RawResponse<unknown>): void {
  expect({ codes: errorCodes(response), reasons: errorReasons(response) }).toEqual({
    codes: ['RATE_LIMITED'],
    reasons: ['LOGIN_RATE'],
  });
  expect(response.status).toBe(429);
  const retry = response.errors![0]!.extensions!.retryAfterSeconds as number;
  expect(retry).toBeGreaterThan(0);
  expect(retry).toBeLessThanOrEqual(60);
  expect(response.headers.get('retry-after')).toBe(String(retry));
}

describe('login budgets', () => {
  let a: TestApi;
  let b: TestApi;
  let f: TenantFixture;

  const env = { RATE_LIMIT_LOGIN_PER_MINUTE: '3', RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE: '6' };

  const attempt = (api: TestApi, email: string, password: string, from: string) =>
    gqlWithHeaders<{ login: { token: string } }>(
      api,
      LOGIN,
      { input: { tenantSlug: f.slug, email, password } },
      { 'x-forwarded-for': from },
    );

  /** A user of the fixture's tenant nobody has tried to log in as yet. */
  const freshUser = async (): Promise<string> => {
    const email = `owner-${randomInt(1e9)}@${f.slug}.test`;
    await a.services.users.create(
      tenantDb(a.prisma, f.tenantId),
      { kind: 'user', id: f.userIds.ADMIN, tenantId: f.tenantId, role: 'ADMIN', isPlatformAdmin: false },
      { email, role: 'MODERATOR', password: PASSWORD },
    );
    return email;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([startTestApi(env), startTestApi(env)]);
    // Failed logins of earlier suites from this machine's address count for a minute; this suite's
    // budgets are tiny, so it starts from none.
    const spent = await a.redis.keys('vigil:rl:login*');
    if (spent.length > 0) await a.redis.del(...spent);
    f = await createTenantFixture(a, 'login-budget');
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('lets the owner in from an address they signed in from while strangers hammer the account', async () => {
    const email = await freshUser();
    const home = newAddress();
    // The owner signs in from home (through one API process) a few times: successes cost nothing.
    for (let i = 0; i < 4; i += 1) expect(errorCodes(await attempt(a, email, PASSWORD, home))).toEqual([]);

    // A stranger guesses from one address, then from others (through the other process).
    const stranger = newAddress();
    for (let i = 1; i <= 3; i += 1) {
      const response = await attempt(b, email, `guess ${i}`, stranger);
      expect({ i, codes: errorCodes(response) }).toEqual({ i, codes: ['UNAUTHENTICATED'] });
    }
    expectLoginRate(await attempt(b, email, 'guess 4', stranger));
    // Spreading over addresses gains nothing: unknown addresses share the account's budget,
    // even with the right password (which the stranger might have found elsewhere).
    expectLoginRate(await attempt(a, email, 'guess 5', newAddress()));
    expectLoginRate(await attempt(a, email, PASSWORD, newAddress()));

    // The owner, from home, still gets in, through either process.
    const owner = await attempt(b, email, PASSWORD, home);
    expect(errorCodes(owner)).toEqual([]);
    expect(owner.data!.login.token).toMatch(/^vgs_/);
    expect(errorCodes(await attempt(a, email, PASSWORD, home))).toEqual([]);
  }, 30_000);

  it('gives a known address a budget of its own for its own failures', async () => {
    const email = await freshUser();
    const home = newAddress();
    expect(errorCodes(await attempt(a, email, PASSWORD, home))).toEqual([]);
    for (let i = 1; i <= 3; i += 1) {
      const response = await attempt(a, email, `typo ${i}`, home);
      expect({ i, codes: errorCodes(response) }).toEqual({ i, codes: ['UNAUTHENTICATED'] });
    }
    expectLoginRate(await attempt(a, email, PASSWORD, home));
    // The strangers' shared budget is untouched by the owner's typos.
    expect(errorCodes(await attempt(b, email, 'a stranger guess', newAddress()))).toEqual([
      'UNAUTHENTICATED',
    ]);
  }, 30_000);

  it('keeps the per-address budget strict, across accounts and for known addresses too', async () => {
    const home = newAddress();
    const emails = await Promise.all([freshUser(), freshUser(), freshUser()]);
    // Known to the first account; the address still has one budget across every account.
    expect(errorCodes(await attempt(a, emails[0]!, PASSWORD, home))).toEqual([]);
    const tries = [emails[0], emails[0], emails[1], emails[1], emails[2], emails[2]] as string[];
    for (const [i, email] of tries.entries()) {
      const response = await attempt(i % 2 ? a : b, email, `guess ${i}`, home);
      expect({ i, codes: errorCodes(response) }).toEqual({ i, codes: ['UNAUTHENTICATED'] });
    }
    expectLoginRate(await attempt(a, `nobody@${f.slug}.test`, 'guess', home));
    expectLoginRate(await attempt(b, emails[0]!, PASSWORD, home));
  }, 30_000);

  it('counts an IPv6 client by its /64, so a stranger cannot rotate addresses within it', async () => {
    const prefix = `2001:db8:${randomInt(65536).toString(16)}:${randomInt(65536).toString(16)}`;
    for (let i = 1; i <= 6; i += 1) {
      const response = await attempt(a, `nobody-${i}@${f.slug}.test`, 'guess', `${prefix}::${i}`);
      expect({ i, codes: errorCodes(response) }).toEqual({ i, codes: ['UNAUTHENTICATED'] });
    }
    expectLoginRate(await attempt(a, `nobody-7@${f.slug}.test`, 'guess', `${prefix}:0:0:0:7`));
  }, 30_000);
});
