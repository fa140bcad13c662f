import type { Actor } from '../auth/permissions';
import { Permission } from '../auth/permissions';
import type { PrismaClient } from '../db/prisma-client';
import { DomainError, ErrorReason, rateLimited, unauthenticated } from '../errors/domain-error';
import { credentialOf, RequestAuthenticator } from './request-authenticator';

const moderatorKey: Actor = {
  kind: 'apiKey',
  id: 'key-1',
  tenantId: 'tenant-1',
  role: 'MODERATOR',
  isPlatformAdmin: false,
};
const auditorSession: Actor = {
  kind: 'user',
  id: 'user-1',
  tenantId: 'tenant-1',
  role: 'AUDITOR',
  isPlatformAdmin: false,
  sessionId: 'session-1',
};

/** Stands in for the scoped client: what the tenant context was built from is all this test needs. */
const scopedClient = { scopedTo: 'tenant-1' };
const extend = jest.fn(() => scopedClient);

function authenticatorFor(actor: Actor | Error) {
  const steps: string[] = [];
  const deps = {
    prisma: { $extends: extend } as unknown as PrismaClient,
    auth: {
      authenticate: jest.fn(async (credential: string, clientAddress: string) => {
        steps.push(`authenticate ${credential} from ${clientAddress}`);
        if (actor instanceof Error) throw actor;
        return actor;
      }),
    },
    rateLimits: {
      consumeApiKey: jest.fn(async (id: string) => {
        steps.push(`api key ${id}`);
      }),
      consumeSession: jest.fn(async (id: string) => {
        steps.push(`session ${id}`);
      }),
    },
  };
  return { authenticator: new RequestAuthenticator(deps), deps, steps };
}

async function refusal(call: Promise<unknown>): Promise<DomainError> {
  const outcome = await call.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(outcome instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(outcome)}`);
  return outcome;
}

describe('credentialOf', () => {
  it.each([
    [{ authorization: 'Bearer vgs_abc' }, 'vgs_abc'],
    [{ authorization: 'Bearer   vgk_a_b  ' }, 'vgk_a_b'],
    [{ 'x-api-key': 'vgk_a_b' }, 'vgk_a_b'],
    [{ authorization: 'Bearer vgs_abc', 'x-api-key': 'vgk_a_b' }, 'vgs_abc'],
    [{ authorization: 'Basic dXNlcjpwdw==' }, undefined],
    [{ authorization: 'Bearer ' }, undefined],
    [{ 'x-api-key': '' }, undefined],
    [{ authorization: ['Bearer x'] }, undefined],
    [{}, undefined],
    [undefined, undefined],
    [null, undefined],
  ])('reads %j as %s', (carrier, expected) => {
    expect(credentialOf(carrier)).toBe(expected);
  });
});

const from = { clientAddress: '198.51.100.7' };

describe('RequestAuthenticator', () => {
  it('authenticates, counts the request against the API key, and builds the tenant context', async () => {
    const { authenticator, steps } = authenticatorFor(moderatorKey);
    const admitted = await authenticator.authenticate('vgk_a_b', from);
    expect(steps).toEqual(['authenticate vgk_a_b from 198.51.100.7', 'api key key-1']);
    expect(admitted.actor).toBe(moderatorKey);
    expect(admitted.credential).toBe('vgk_a_b');
    expect(admitted.db).toBe(scopedClient);
    expect(admitted.loaders.stream).toBeDefined();
  });

  it('counts a session’s requests against the session, not the user', async () => {
    const { authenticator, steps } = authenticatorFor(auditorSession);
    await authenticator.authenticate('vgs_x', from);
    expect(steps).toEqual(['authenticate vgs_x from 198.51.100.7', 'session session-1']);
  });

  it('refuses a missing credential with UNAUTHENTICATED (CREDENTIAL_REQUIRED) and the entry’s message', async () => {
    const { authenticator, deps } = authenticatorFor(moderatorKey);
    const error = await refusal(
      authenticator.authenticate(undefined, { ...from, missing: 'A signed URL is required' }),
    );
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.reason).toBe(ErrorReason.CREDENTIAL_REQUIRED);
    expect(error.message).toBe('A signed URL is required');
    expect(deps.auth.authenticate).not.toHaveBeenCalled();
  });

  it('does not count a credential that fails to authenticate', async () => {
    const { authenticator, deps } = authenticatorFor(unauthenticated('Invalid or revoked API key'));
    expect((await refusal(authenticator.authenticate('vgk_bad', from))).code).toBe('UNAUTHENTICATED');
    expect(deps.rateLimits.consumeApiKey).not.toHaveBeenCalled();
  });

  it('passes RATE_LIMITED on', async () => {
    const { authenticator, deps } = authenticatorFor(moderatorKey);
    deps.rateLimits.consumeApiKey.mockRejectedValueOnce(rateLimited('Too many', 9, ErrorReason.REQUEST_RATE));
    const error = await refusal(authenticator.authenticate('vgk_a_b', from));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.details.retryAfterSeconds).toBe(9);
  });

  it('checks the route’s permission after counting the request', async () => {
    const { authenticator, steps } = authenticatorFor(moderatorKey);
    const error = await refusal(
      authenticator.authenticate('vgk_a_b', { ...from, permission: Permission.AUDIT_READ }),
    );
    expect(error.code).toBe('FORBIDDEN');
    expect(steps).toEqual(['authenticate vgk_a_b from 198.51.100.7', 'api key key-1']);
    const { authenticator: auditor } = authenticatorFor(auditorSession);
    await expect(
      auditor.authenticate('vgs_x', { ...from, permission: Permission.AUDIT_READ }),
    ).resolves.toBeDefined();
  });
});
