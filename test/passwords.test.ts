import { randomInt } from 'node:crypto';
import { errorCodes, errorReasons, startTestApi, TestApi } from './support/api-harness';
import { fieldsOf } from './support/raw-http';
import { subscribe } from './support/graphql-ws-client';
import { createTenantFixture, PASSWORD, TenantFixture } from './support/tenant-fixture';
import { waitFor } from './support/wait-for';

/**
 * Passwords change: a person changes their own (the old one checked, every session ended, a new
 * one issued), and an admin resets someone else's to a temporary one shown once, which only opens
 * a session that may change it. Every session of the user ends, in every API process, audited in
 * the change's transaction.
 */
const LOGIN = `mutation ($input: LoginInput!) {
  login(input: $input) { token expiresAt passwordChangeRequired user { id passwordChangeRequired } } }`;
const CHANGE = `mutation ($current: String!, $next: String!) {
  changePassword(currentPassword: $current, newPassword: $next) {
    token expiresAt passwordChangeRequired user { id passwordChangeRequired passwordChangedAt } } }`;
const RESET = `mutation ($id: ID!) {
  resetUserPassword(userId: $id) { temporaryPassword user { id passwordChangeRequired } } }`;
const ME = '{ me { id email } }';
const TENANT = '{ myTenant { id } }';

interface LoginAnswer {
  token: string;
  expiresAt: string;
  passwordChangeRequired: boolean;
  user: { id: string; passwordChangeRequired: boolean; passwordChangedAt?: string | null };
}

describe('password change and reset', () => {
  let api: TestApi;
  let second: TestApi;
  let f: TenantFixture;
  let other: TenantFixture;

  beforeAll(async () => {
    // A long credential cache: a revocation that relied on expiry would leave the old sessions working.
    [api, second] = await Promise.all([
      startTestApi({ AUTH_CACHE_TTL_MS: '60000' }),
      startTestApi({ AUTH_CACHE_TTL_MS: '60000' }),
    ]);
    [f, other] = await Promise.all([
      createTenantFixture(api, 'passwords'),
      createTenantFixture(api, 'passwords-other'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([api?.stop(), second?.stop()]);
  });

  async function newUser(role = 'MODERATOR'): Promise<{ id: string; email: string }> {
    const email = `person-${randomInt(1e9)}@${f.slug}.test`;
    const created = await api.gql<{ createUser: { user: { id: string } } }>(
      'mutation ($input: CreateUserInput!) { createUser(input: $input) { user { id } } }',
      { input: { email, role, password: PASSWORD } },
      f.sessions.ADMIN,
    );
    expect(created.errors).toBeUndefined();
    return { id: created.data!.createUser.user.id, email };
  }

  async function login(email: string, password: string, instance = api): Promise<LoginAnswer> {
    const answer = await instance.gql<{ login: LoginAnswer }>(LOGIN, {
      input: { tenantSlug: f.slug, email, password },
    });
    expect(answer.errors).toBeUndefined();
    return answer.data!.login;
  }

  const works = async (instance: TestApi, token: string) =>
    errorCodes(await instance.gql(ME, {}, token)).length === 0;

  const auditOf = (userId: string, action: string) =>
    api.prisma.auditEvent.findMany({ where: { tenantId: f.tenantId, entityId: userId, action } });

  describe('changePassword', () => {
    it('checks the current password, ends every session and answers a new one', async () => {
      const person = await newUser();
      const [current, elsewhere] = [await login(person.email, PASSWORD), await login(person.email, PASSWORD)];
      // Both processes have verified (and cached) both sessions; one has a live socket.
      for (const instance of [api, second]) {
        expect(await works(instance, current.token)).toBe(true);
        expect(await works(instance, elsewhere.token)).toBe(true);
      }
      const socket = subscribe(second, elsewhere.token, 'subscription { alerts { cursor } }');
      await new Promise((resolve) => setTimeout(resolve, 200));

      const wrong = await api.gql(
        CHANGE,
        { current: 'not my password', next: 'a brand new password' },
        current.token,
      );
      expect({ codes: errorCodes(wrong), reasons: errorReasons(wrong), fields: fieldsOf(wrong) }).toEqual({
        codes: ['BAD_USER_INPUT'],
        reasons: ['WRONG_PASSWORD'],
        fields: ['currentPassword'],
      });
      const short = await api.gql(CHANGE, { current: PASSWORD, next: 'too short' }, current.token);
      expect({ codes: errorCodes(short), fields: fieldsOf(short) }).toEqual({
        codes: ['BAD_USER_INPUT'],
        fields: ['newPassword'],
      });
      const same = await api.gql(CHANGE, { current: PASSWORD, next: PASSWORD }, current.token);
      expect(fieldsOf(same)).toEqual(['newPassword']);
      expect(await works(second, elsewhere.token)).toBe(true);

      const changed = await api.gql<{ changePassword: LoginAnswer }>(
        CHANGE,
        { current: PASSWORD, next: 'a brand new password' },
        current.token,
      );
      expect(changed.errors).toBeUndefined();
      const fresh = changed.data!.changePassword;
      expect(fresh.token).toMatch(/^vgs_/);
      expect(fresh).toMatchObject({
        passwordChangeRequired: false,
        user: { id: person.id, passwordChangeRequired: false, passwordChangedAt: expect.any(String) },
      });

      // Every old session ends at once in both processes, the socket too; the new one works.
      await waitFor(() => socket.closedCode !== undefined, 5_000);
      expect(socket.closedCode).toBe(4403);
      for (const instance of [api, second]) {
        expect(errorCodes(await instance.gql(ME, {}, current.token))).toEqual(['UNAUTHENTICATED']);
        expect(errorCodes(await instance.gql(ME, {}, elsewhere.token))).toEqual(['UNAUTHENTICATED']);
        expect(await works(instance, fresh.token)).toBe(true);
      }
      // The old password no longer opens a session; the new one does.
      const old = await api.gql(LOGIN, {
        input: { tenantSlug: f.slug, email: person.email, password: PASSWORD },
      });
      expect(errorCodes(old)).toEqual(['UNAUTHENTICATED']);
      await login(person.email, 'a brand new password');

      const [audit] = await auditOf(person.id, 'user.passwordChange');
      expect(audit).toMatchObject({ actorType: 'user', actorId: person.id, data: { sessionsEnded: 2 } });
      expect(JSON.stringify(audit)).not.toContain('a brand new password');
      await socket.client.dispose();
    });

    it('counts wrong current passwords against the account’s login budget', async () => {
      const limited = await startTestApi({ RATE_LIMIT_LOGIN_PER_MINUTE: '2' });
      try {
        const person = await newUser();
        const { token } = await login(person.email, PASSWORD, limited);
        for (let i = 1; i <= 2; i += 1) {
          const wrong = await limited.gql(
            CHANGE,
            { current: `guess ${i}`, next: 'a brand new password' },
            token,
          );
          expect({ i, reasons: errorReasons(wrong) }).toEqual({ i, reasons: ['WRONG_PASSWORD'] });
        }
        const limitedAnswer = await limited.gql(
          CHANGE,
          { current: 'guess 3', next: 'a brand new password' },
          token,
        );
        expect({ codes: errorCodes(limitedAnswer), reasons: errorReasons(limitedAnswer) }).toEqual({
          codes: ['RATE_LIMITED'],
          reasons: ['LOGIN_RATE'],
        });
      } finally {
        await limited.stop();
      }
    });

    it('is refused to API keys and to anonymous callers', async () => {
      const byKey = await api.gql(
        CHANGE,
        { current: PASSWORD, next: 'a brand new password' },
        f.apiKeys.ADMIN,
      );
      expect(errorCodes(byKey)).toEqual(['FORBIDDEN']);
      const anonymous = await api.gql(CHANGE, { current: PASSWORD, next: 'a brand new password' });
      expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('resetUserPassword', () => {
    it('sets a temporary password shown once and ends every session of the user', async () => {
      const person = await newUser('AUDITOR');
      const before = await login(person.email, PASSWORD);
      expect(await works(second, before.token)).toBe(true);

      const reset = await second.gql<{
        resetUserPassword: {
          temporaryPassword: string;
          user: { id: string; passwordChangeRequired: boolean };
        };
      }>(RESET, { id: person.id }, f.sessions.ADMIN);
      expect(reset.errors).toBeUndefined();
      const { temporaryPassword, user } = reset.data!.resetUserPassword;
      expect(user).toEqual({ id: person.id, passwordChangeRequired: true });
      expect(temporaryPassword.length).toBeGreaterThanOrEqual(12);

      for (const instance of [api, second]) {
        expect(errorCodes(await instance.gql(ME, {}, before.token))).toEqual(['UNAUTHENTICATED']);
      }
      const old = await api.gql(LOGIN, {
        input: { tenantSlug: f.slug, email: person.email, password: PASSWORD },
      });
      expect(errorCodes(old)).toEqual(['UNAUTHENTICATED']);

      const [audit] = await auditOf(person.id, 'user.passwordReset');
      expect(audit).toMatchObject({
        actorType: 'user',
        actorId: f.userIds.ADMIN,
        data: { email: person.email, sessionsEnded: 1 },
      });
      const events = await api.prisma.auditEvent.findMany({ where: { tenantId: f.tenantId } });
      expect(JSON.stringify(events)).not.toContain(temporaryPassword);
      const row = await api.prisma.user.findUniqueOrThrow({ where: { id: person.id } });
      expect(JSON.stringify(row)).not.toContain(temporaryPassword);
    });

    it('lets the temporary password open only a short session that may change it, then a full one', async () => {
      const person = await newUser('MODERATOR');
      const reset = await api.gql<{ resetUserPassword: { temporaryPassword: string } }>(
        RESET,
        { id: person.id },
        f.apiKeys.ADMIN,
      );
      const temporary = reset.data!.resetUserPassword.temporaryPassword;

      const restricted = await login(person.email, temporary);
      expect(restricted.passwordChangeRequired).toBe(true);
      expect(new Date(restricted.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
      // It reads who it is and may log out, nothing else: not even the tenant, not a frame, not a socket.
      expect(await works(api, restricted.token)).toBe(true);
      for (const query of [TENANT, '{ streams { edges { node { id } } } }']) {
        const refused = await api.gql(query, {}, restricted.token);
        expect({ query, codes: errorCodes(refused), reasons: errorReasons(refused) }).toEqual({
          query,
          codes: ['FORBIDDEN'],
          reasons: ['PASSWORD_CHANGE_REQUIRED'],
        });
      }
      const frame = await fetch(`${api.url}/frames/00000000-0000-0000-0000-000000000000`, {
        headers: { authorization: `Bearer ${restricted.token}` },
      });
      expect(frame.status).toBe(403);
      const sub = subscribe(second, restricted.token, 'subscription { alerts { cursor } }');
      await waitFor(() => sub.errors.length > 0 || sub.ended, 5_000);
      expect(sub.errors[0]?.extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'PASSWORD_CHANGE_REQUIRED',
      });
      await sub.client.dispose();

      const changed = await api.gql<{ changePassword: LoginAnswer }>(
        CHANGE,
        { current: temporary, next: 'my own password at last' },
        restricted.token,
      );
      expect(changed.errors).toBeUndefined();
      const full = changed.data!.changePassword;
      expect(full).toMatchObject({ passwordChangeRequired: false, user: { passwordChangeRequired: false } });
      expect(errorCodes(await api.gql(TENANT, {}, full.token))).toEqual([]);
      expect(errorCodes(await api.gql(ME, {}, restricted.token))).toEqual(['UNAUTHENTICATED']);
      // The next login is an ordinary one.
      expect((await login(person.email, 'my own password at last')).passwordChangeRequired).toBe(false);
    });

    it('is for admins, not for one’s own password, and not for a platform admin’s unless by one', async () => {
      const person = await newUser();
      for (const credential of [f.sessions.MODERATOR, f.sessions.AUDITOR, f.apiKeys.MODERATOR]) {
        expect(errorCodes(await api.gql(RESET, { id: person.id }, credential))).toEqual(['FORBIDDEN']);
      }
      const self = await api.gql(RESET, { id: f.userIds.ADMIN }, f.sessions.ADMIN);
      expect({ codes: errorCodes(self), reasons: errorReasons(self) }).toEqual({
        codes: ['CONFLICT'],
        reasons: ['SELF_CHANGE'],
      });
      const platform = await newUser('ADMIN');
      await api.prisma.user.update({ where: { id: platform.id }, data: { isPlatformAdmin: true } });
      expect(errorCodes(await api.gql(RESET, { id: platform.id }, f.sessions.ADMIN))).toEqual(['FORBIDDEN']);
      const unchanged = await api.prisma.user.findUniqueOrThrow({ where: { id: platform.id } });
      expect(unchanged.passwordChangeRequired).toBe(false);
    });

    it("answers NOT_FOUND for another tenant's user and changes nothing there", async () => {
      const before = await api.prisma.user.findUniqueOrThrow({ where: { id: other.userIds.MODERATOR } });
      for (const credential of [f.sessions.ADMIN, f.apiKeys.ADMIN]) {
        const answer = await api.gql(RESET, { id: other.userIds.MODERATOR }, credential);
        expect(errorCodes(answer)).toEqual(['NOT_FOUND']);
        expect(answer.data ?? null).toBeNull();
      }
      expect(await api.prisma.user.findUniqueOrThrow({ where: { id: other.userIds.MODERATOR } })).toEqual(
        before,
      );
      expect(await works(api, other.sessions.MODERATOR)).toBe(true);
    });
  });
});
