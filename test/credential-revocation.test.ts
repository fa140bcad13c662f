import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { createTenantFixture, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';

/**
 * Each API process caches verified credentials for a few seconds; a revocation made through any
 * process must still apply at once in every process (Redis pub/sub).
 */
describe('credential revocation across API processes', () => {
  let first: TestApi;
  let second: TestApi;
  let tenant: TenantFixture;
  const me = '{ myTenant { id } }';

  beforeAll(async () => {
    // A long TTL: if revocation relied on expiry, these tests would fail.
    first = await startTestApi({ AUTH_CACHE_TTL_MS: '60000' });
    second = await startTestApi({ AUTH_CACHE_TTL_MS: '60000' });
    tenant = await createTenantFixture(first, 'revoke');
  }, 30_000);
  afterAll(async () => {
    await first.stop();
    await second.stop();
  });

  it('a key revoked through one process is refused at once by another that had cached it', async () => {
    const key = tenant.apiKeys.MODERATOR;
    expect(errorCodes(await first.gql(me, {}, key))).toEqual([]);
    const apiKeyId = (
      await first.prisma.apiKey.findFirstOrThrow({ where: { tenantId: tenant.tenantId, role: 'MODERATOR' } })
    ).id;
    const revoked = await second.gql(
      'mutation($id: ID!) { revokeApiKey(apiKeyId: $id) { revokedAt } }',
      { id: apiKeyId },
      tenant.sessions.ADMIN,
    );
    expect(errorCodes(revoked)).toEqual([]);
    await waitFor(async () => errorCodes(await first.gql(me, {}, key))[0] === 'UNAUTHENTICATED', 2_000);
    const refused = await first.gql(me, {}, key);
    expect(refused.status).toBe(401);
    expect(errorCodes(refused)).toEqual(['UNAUTHENTICATED']);
  });

  it('a user disabled or demoted through one process loses the old rights at once in another', async () => {
    const moderatorSession = tenant.sessions.MODERATOR;
    const auditorSession = tenant.sessions.AUDITOR;
    expect(errorCodes(await first.gql('{ users { edges { node { id } } } }', {}, auditorSession))).toEqual(
      [],
    );
    expect(errorCodes(await first.gql(me, {}, moderatorSession))).toEqual([]);

    const update =
      'mutation($id: ID!, $input: UpdateUserInput!) { updateUser(userId: $id, input: $input) { id } }';
    await second.gql(
      update,
      { id: tenant.userIds.AUDITOR, input: { role: 'MODERATOR' } },
      tenant.sessions.ADMIN,
    );
    await second.gql(
      update,
      { id: tenant.userIds.MODERATOR, input: { disabled: true } },
      tenant.sessions.ADMIN,
    );

    await waitFor(
      async () => errorCodes(await first.gql(me, {}, moderatorSession))[0] === 'UNAUTHENTICATED',
      2_000,
    );
    expect(errorCodes(await first.gql('{ users { edges { node { id } } } }', {}, auditorSession))).toEqual([
      'FORBIDDEN',
    ]);
  });

  it('logout through one process ends the session in the other', async () => {
    const session = tenant.sessions.ADMIN;
    expect(errorCodes(await first.gql(me, {}, session))).toEqual([]);
    const out = await second.gql<{ logout: boolean }>('mutation { logout }', {}, session);
    expect(out.data?.logout).toBe(true);
    await waitFor(async () => errorCodes(await first.gql(me, {}, session))[0] === 'UNAUTHENTICATED', 2_000);
  });
});
