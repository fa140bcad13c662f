import { randomInt } from 'node:crypto';
import type { Client } from 'graphql-ws';
import { publishEvent } from '../src/pubsub/event-bus';
import { TOPICS } from '../src/pubsub/topics';
import { errorCodes, startTestApi, TestApi } from './support/api-harness';
import { Collected, subscribe } from './support/graphql-ws-client';
import { createTenantFixture, PASSWORD, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';

/**
 * An API key lives no longer than its creator's right to make it: when the person who created a
 * key is deleted, disabled or no longer an admin, or the key that created it is revoked, the key is
 * revoked too (and the keys it created in turn), audited in the change's transaction, and every API
 * process forgets it and closes its sockets at once.
 */
const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id createdByUserId createdByApiKeyId } } }`;
const ME = '{ myTenant { id } }';

interface MintedKey {
  id: string;
  secret: string;
}

describe('API keys and their creators', () => {
  let api: TestApi;
  let second: TestApi;
  let f: TenantFixture;
  let other: TenantFixture;
  const clients: Client[] = [];

  beforeAll(async () => {
    // A long credential cache: if revocation relied on expiry, the second process would keep the key.
    [api, second] = await Promise.all([
      startTestApi({ AUTH_CACHE_TTL_MS: '60000' }),
      startTestApi({ AUTH_CACHE_TTL_MS: '60000' }),
    ]);
    [f, other] = await Promise.all([
      createTenantFixture(api, 'key-creators'),
      createTenantFixture(api, 'key-creators-other'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await Promise.all([api?.stop(), second?.stop()]);
  });

  /** A new admin of the fixture's tenant, signed in. */
  async function newAdmin(): Promise<{ id: string; token: string }> {
    const email = `admin-${randomInt(1e9)}@${f.slug}.test`;
    const created = await api.gql<{ createUser: { user: { id: string } } }>(
      'mutation ($input: CreateUserInput!) { createUser(input: $input) { user { id } } }',
      { input: { email, role: 'ADMIN', password: PASSWORD } },
      f.sessions.ADMIN,
    );
    expect(created.errors).toBeUndefined();
    const { token } = await api.services.auth.login(
      { tenantSlug: f.slug, email, password: PASSWORD },
      '127.0.0.1',
    );
    return { id: created.data!.createUser.user.id, token };
  }

  async function mint(credential: string, role = 'ADMIN'): Promise<MintedKey> {
    const created = await api.gql<{
      createApiKey: { secret: string; apiKey: { id: string } };
    }>(CREATE_KEY, { input: { name: `key ${randomInt(1e9)}`, role } }, credential);
    expect(created.errors).toBeUndefined();
    return { id: created.data!.createApiKey.apiKey.id, secret: created.data!.createApiKey.secret };
  }

  const works = async (instance: TestApi, secret: string) =>
    errorCodes(await instance.gql(ME, {}, secret)).length === 0;

  const revokeAudit = (apiKeyId: string) =>
    api.prisma.auditEvent.findMany({
      where: { tenantId: f.tenantId, entityId: apiKeyId, action: 'apiKey.revoke' },
    });

  /** An open subscription of `secret` on the second process, shown to be live by one event. */
  async function liveSubscription(secret: string): Promise<Collected<unknown>> {
    const channel = TOPICS.alerts(f.tenantId);
    const after = await publishEvent(api.redis, channel, { marker: true });
    const sub = subscribe(second, secret, 'subscription ($a: String) { alerts(after: $a) { cursor } }', {
      a: after,
    });
    clients.push(sub.client);
    await publishEvent(api.redis, channel, {
      alertId: '00000000-0000-0000-0000-000000000009',
      incidentId: '00000000-0000-0000-0000-000000000001',
      streamId: '00000000-0000-0000-0000-000000000002',
      ruleId: '00000000-0000-0000-0000-000000000003',
      severity: 'HIGH',
      message: 'live',
    });
    await waitFor(() => sub.events.length >= 1, 5_000);
    return sub;
  }

  it('records who created a key', async () => {
    const admin = await newAdmin();
    const created = await api.gql<{
      createApiKey: { apiKey: { createdByUserId: string | null; createdByApiKeyId: string | null } };
    }>(CREATE_KEY, { input: { name: 'by a person', role: 'MODERATOR' } }, admin.token);
    expect(created.data!.createApiKey.apiKey).toMatchObject({
      createdByUserId: admin.id,
      createdByApiKeyId: null,
    });
    const first = await mint(admin.token);
    const byKey = await api.gql<typeof created.data>(
      CREATE_KEY,
      { input: { name: 'by a key', role: 'AUDITOR' } },
      first.secret,
    );
    expect(byKey.data!.createApiKey.apiKey).toMatchObject({
      createdByUserId: null,
      createdByApiKeyId: first.id,
    });
  });

  it("revokes a deleted admin's keys, and the keys those keys minted, in every process at once", async () => {
    const admin = await newAdmin();
    const unrelated = await mint(f.sessions.ADMIN);
    const minted = await mint(admin.token);
    const grandchild = await mint(minted.secret, 'MODERATOR');
    // Both processes have verified (and cached) the keys; a socket of the first key is open.
    for (const instance of [api, second]) {
      expect(await works(instance, minted.secret)).toBe(true);
      expect(await works(instance, grandchild.secret)).toBe(true);
    }
    const sub = await liveSubscription(minted.secret);

    const deleted = await api.gql(
      'mutation ($id: ID!) { deleteUser(userId: $id) }',
      { id: admin.id },
      f.sessions.ADMIN,
    );
    expect(deleted.errors).toBeUndefined();

    await waitFor(() => sub.closedCode !== undefined, 5_000);
    expect(sub.closedCode).toBe(4403);
    for (const instance of [api, second]) {
      expect(errorCodes(await instance.gql(ME, {}, minted.secret))).toEqual(['UNAUTHENTICATED']);
      expect(errorCodes(await instance.gql(ME, {}, grandchild.secret))).toEqual(['UNAUTHENTICATED']);
    }
    // The observed escape: the orphaned key minting a new admin key.
    const escape = await api.gql(CREATE_KEY, { input: { name: 'escape', role: 'ADMIN' } }, minted.secret);
    expect(errorCodes(escape)).toEqual(['UNAUTHENTICATED']);
    // Keys of other people stay.
    expect(await works(second, unrelated.secret)).toBe(true);

    const rows = await api.prisma.apiKey.findMany({ where: { id: { in: [minted.id, grandchild.id] } } });
    expect(rows.map((row) => row.revokedAt)).toEqual([expect.any(Date), expect.any(Date)]);
    const [mintedAudit] = await revokeAudit(minted.id);
    expect(mintedAudit).toMatchObject({
      actorType: 'user',
      actorId: f.userIds.ADMIN,
      data: { cause: 'creator.deleted', createdByUserId: admin.id },
    });
    const [grandchildAudit] = await revokeAudit(grandchild.id);
    expect(grandchildAudit).toMatchObject({
      data: { cause: 'creator.revoked', createdByApiKeyId: minted.id },
    });
    // In the deletion's transaction: the same chain, right after the user's own event.
    const deletion = await api.prisma.auditEvent.findFirstOrThrow({
      where: { tenantId: f.tenantId, entityId: admin.id, action: 'user.delete' },
    });
    expect(Math.abs(deletion.chainIndex! - mintedAudit!.chainIndex!)).toBeLessThanOrEqual(2);
  });

  it("revokes a disabled admin's keys (enabling them again does not bring the keys back)", async () => {
    const admin = await newAdmin();
    const minted = await mint(admin.token);
    expect(await works(second, minted.secret)).toBe(true);
    const update =
      'mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(userId: $id, input: $input) { id } }';
    expect(
      (await api.gql(update, { id: admin.id, input: { disabled: true } }, f.sessions.ADMIN)).errors,
    ).toBeUndefined();
    await waitFor(async () => !(await works(second, minted.secret)), 2_000);
    expect(
      (await api.gql(update, { id: admin.id, input: { disabled: false } }, f.sessions.ADMIN)).errors,
    ).toBeUndefined();
    expect(await works(api, minted.secret)).toBe(false);
    const [audit] = await revokeAudit(minted.id);
    expect(audit).toMatchObject({ data: { cause: 'creator.disabled', createdByUserId: admin.id } });
  });

  it('revokes the keys of an admin who becomes a moderator or auditor, not of one whose role stays', async () => {
    const admin = await newAdmin();
    const minted = await mint(admin.token);
    const update =
      'mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(userId: $id, input: $input) { id } }';
    expect(
      (await api.gql(update, { id: admin.id, input: { role: 'ADMIN' } }, f.sessions.ADMIN)).errors,
    ).toBeUndefined();
    expect(await works(api, minted.secret)).toBe(true);
    expect(
      (await api.gql(update, { id: admin.id, input: { role: 'AUDITOR' } }, f.sessions.ADMIN)).errors,
    ).toBeUndefined();
    await waitFor(async () => !(await works(second, minted.secret)), 2_000);
    const [audit] = await revokeAudit(minted.id);
    expect(audit).toMatchObject({ data: { cause: 'creator.demoted', createdByUserId: admin.id } });
  });

  it('revokes the keys a revoked key created, and only those', async () => {
    const parent = await mint(f.sessions.ADMIN);
    const child = await mint(parent.secret);
    const sibling = await mint(f.sessions.ADMIN);
    expect(await works(second, child.secret)).toBe(true);
    const revoked = await api.gql(
      'mutation ($id: ID!) { revokeApiKey(apiKeyId: $id) { revokedAt } }',
      { id: parent.id },
      f.sessions.ADMIN,
    );
    expect(revoked.errors).toBeUndefined();
    await waitFor(async () => !(await works(second, child.secret)), 2_000);
    expect(await works(second, sibling.secret)).toBe(true);
  });

  it("cannot reach another tenant's users or keys", async () => {
    const otherKey = await mint(other.sessions.ADMIN);
    for (const credential of [f.sessions.ADMIN, f.apiKeys.ADMIN]) {
      const deleted = await api.gql(
        'mutation ($id: ID!) { deleteUser(userId: $id) }',
        { id: other.userIds.ADMIN },
        credential,
      );
      expect(errorCodes(deleted)).toEqual(['NOT_FOUND']);
      const disabled = await api.gql(
        'mutation ($id: ID!) { updateUser(userId: $id, input: { disabled: true }) { id } }',
        { id: other.userIds.ADMIN },
        credential,
      );
      expect(errorCodes(disabled)).toEqual(['NOT_FOUND']);
      const revoked = await api.gql(
        'mutation ($id: ID!) { revokeApiKey(apiKeyId: $id) { id } }',
        { id: otherKey.id },
        credential,
      );
      expect(errorCodes(revoked)).toEqual(['NOT_FOUND']);
    }
    expect(await works(api, otherKey.secret)).toBe(true);
  });
});
