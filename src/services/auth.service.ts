import { z } from 'zod';
import type { AppConfig } from '../config/config';
import type { PrismaClient } from '../db/prisma-client';
import { tenantDb, type TenantTx } from '../db/tenant-scoped-db';
import {
  badInput,
  DomainError,
  ErrorCode,
  ErrorReason,
  forbidden,
  unauthenticated,
} from '../errors/domain-error';
import { validateInput } from '../errors/validate-input';
import type { User } from '../generated/prisma/client';
import { decoyPasswordHash, hashPassword, verifyPassword } from '../auth/password-hasher';
import type { Actor } from '../auth/permissions';
import {
  API_KEY_PREFIX,
  digestMatches,
  newSessionToken,
  parseApiKey,
  SESSION_TOKEN_PREFIX,
  sha256Hex,
} from '../auth/secret-token';
import { recordAudit } from '../audit/audit-log';
import type { RateLimitService } from './rate-limit.service';
import type { CredentialCache } from '../auth/credential-cache';
import type { RefusedCredentials } from '../auth/refused-credentials';
import { emailSchema, passwordSchema, slugSchema } from './input-schemas';
import { replacePassword } from './user.service';

const loginSchema = z.object({
  tenantSlug: slugSchema,
  email: emailSchema,
  password: z.string().min(1).max(256),
});

const changePasswordSchema = z
  .object({
    currentPassword: z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
    newPassword: passwordSchema,
  })
  .refine((value) => value.newPassword !== value.currentPassword, {
    path: ['newPassword'],
    message: 'must differ from the current password',
  });

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: User;
  /** The session may only change the password (an admin reset it). */
  passwordChangeRequired: boolean;
}

// A session that may only change the password is for doing that now, not for keeping.
const PASSWORD_CHANGE_SESSION_MS = 15 * 60_000;

// Recording every use of a key would make each request a write; once a minute is enough to tell
// which keys are alive.
const LAST_USED_RESOLUTION_MS = 60_000;

export class AuthService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly config: AppConfig,
    private readonly rateLimits: RateLimitService,
    private readonly credentials: CredentialCache,
    private readonly refused: RefusedCredentials,
  ) {}

  async login(input: z.input<typeof loginSchema>, clientAddress: string): Promise<LoginResult> {
    const { tenantSlug, email, password } = validateInput(loginSchema, input);
    const attempt = await this.rateLimits.beginLogin(`${tenantSlug}:${email}`, clientAddress);
    const tenant = await this.prisma.tenant.findUnique({ where: { slug: tenantSlug }, select: { id: true } });
    const db = tenant ? tenantDb(this.prisma, tenant.id) : null;
    const user = db
      ? await db.user.findUnique({ where: { tenantId_email: { tenantId: tenant!.id, email } } })
      : null;
    const passwordOk = await verifyPassword(user?.passwordHash ?? (await decoyPasswordHash()), password);
    if (!user || !db || !passwordOk || user.disabledAt) {
      throw unauthenticated('Unknown tenant, e-mail or password', ErrorReason.LOGIN_FAILED);
    }
    // After an admin's reset, the temporary password only opens a short session that may change it.
    const passwordChangeRequired = user.passwordChangeRequired;
    const session = await db.$transaction(async (tx) => {
      const opened = await this.openSession(tx, user);
      await recordAudit(
        tx,
        { tenantId: user.tenantId, kind: 'user', id: user.id },
        {
          action: 'auth.login',
          entityType: 'Session',
          entityId: opened.id,
          ...(passwordChangeRequired ? { data: { passwordChangeRequired } } : {}),
        },
      );
      return opened;
    });
    await attempt.succeeded();
    return { token: session.token, expiresAt: session.expiresAt, user, passwordChangeRequired };
  }

  /**
   * The logged-in person changes their password: the current one is checked (wrong guesses count
   * against the account's login budget, as logins do), the new one follows the same rules as a new
   * user's. Every session of the user ends, this one included, in the change's transaction, and the
   * answer is a new full session, so a session that could only change the password becomes one that
   * can do everything the user may. Every API process forgets the old sessions at once and closes
   * their sockets.
   */
  async changePassword(
    actor: Actor,
    input: z.input<typeof changePasswordSchema>,
    clientAddress: string,
  ): Promise<LoginResult> {
    if (actor.kind !== 'user' || !actor.sessionId) {
      throw forbidden('Only a person signed in with a session has a password to change');
    }
    const { currentPassword, newPassword } = validateInput(changePasswordSchema, input, '');
    const db = tenantDb(this.prisma, actor.tenantId);
    const [user, tenant] = await Promise.all([
      db.user.findUnique({ where: { id: actor.id } }),
      this.prisma.tenant.findUnique({ where: { id: actor.tenantId }, select: { slug: true } }),
    ]);
    if (!user || !tenant || user.disabledAt) {
      throw unauthenticated('Session expired or revoked; log in again', ErrorReason.CREDENTIAL_INVALID);
    }
    const attempt = await this.rateLimits.beginLogin(`${tenant.slug}:${user.email}`, clientAddress);
    if (!(await verifyPassword(user.passwordHash, currentPassword))) {
      throw badInput(
        [{ field: 'currentPassword', message: 'is not your current password' }],
        ErrorReason.WRONG_PASSWORD,
      );
    }
    const passwordHash = await hashPassword(newPassword);
    const { changed, session } = await db.$transaction(async (tx) => {
      const { user: updated, sessionsEnded } = await replacePassword(tx, user.id, passwordHash, {
        changeRequired: false,
      });
      const opened = await this.openSession(tx, updated);
      await recordAudit(tx, actor, {
        action: 'user.passwordChange',
        entityType: 'User',
        entityId: user.id,
        data: { sessionsEnded, newSessionId: opened.id },
      });
      return { changed: updated, session: opened };
    });
    await attempt.succeeded();
    await this.credentials.revoke({ userId: user.id });
    return {
      token: session.token,
      expiresAt: session.expiresAt,
      user: changed,
      passwordChangeRequired: false,
    };
  }

  /**
   * A new session of `user`: a full one, or, while an admin's reset is pending, a short one that may
   * only change the password. Returns the token, which only the caller ever sees (its digest is stored).
   */
  private async openSession(
    tx: TenantTx,
    user: Pick<User, 'id' | 'tenantId' | 'passwordChangeRequired'>,
  ): Promise<{ id: string; token: string; expiresAt: Date }> {
    const { token, tokenHash } = newSessionToken();
    const passwordChangeOnly = user.passwordChangeRequired;
    const lifetimeMs = passwordChangeOnly
      ? PASSWORD_CHANGE_SESSION_MS
      : this.config.SESSION_TTL_HOURS * 3_600_000;
    const expiresAt = new Date(Date.now() + lifetimeMs);
    const { id } = await tx.session.create({
      data: { tenantId: user.tenantId, userId: user.id, tokenHash, expiresAt, passwordChangeOnly },
    });
    return { id, token, expiresAt };
  }

  async logout(actor: Actor): Promise<boolean> {
    if (!actor.sessionId) return false;
    const db = tenantDb(this.prisma, actor.tenantId);
    await db.$transaction(async (tx) => {
      await tx.session.update({ where: { id: actor.sessionId }, data: { revokedAt: new Date() } });
      await recordAudit(tx, actor, {
        action: 'auth.logout',
        entityType: 'Session',
        entityId: actor.sessionId,
      });
    });
    await this.credentials.revoke({ sessionId: actor.sessionId });
    return true;
  }

  /**
   * Resolves a bearer credential (session token or API key) to the actor it stands for. A
   * credential verified a moment ago is answered from this process's cache. Any other counts
   * against `clientAddress`'s budget for requests without a valid credential before it may cost a
   * look-up (given back when it proves valid), and one refused a moment ago is refused again
   * without a look-up.
   */
  async authenticate(credential: string, clientAddress: string): Promise<Actor> {
    const digest = sha256Hex(credential);
    const cached = this.credentials.get(digest);
    if (cached) return cached;
    await this.rateLimits.consumeUnverified(clientAddress);
    if (this.refused.has(digest)) throw refusalOf(credential);
    let actor: Actor;
    try {
      if (credential.startsWith(SESSION_TOKEN_PREFIX))
        actor = await this.authenticateSession(credential, digest);
      else if (credential.startsWith(API_KEY_PREFIX))
        actor = await this.authenticateApiKey(credential, digest);
      else throw refusalOf(credential);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.UNAUTHENTICATED) this.refused.add(digest);
      throw error;
    }
    // Bookkeeping: a failure to give the request back must not fail a valid credential.
    await this.rateLimits.refundUnverified(clientAddress).catch(() => undefined);
    return actor;
  }

  private async authenticateSession(token: string, tokenHash: string): Promise<Actor> {
    const session = await this.prisma.session.findUnique({
      where: { tokenHash },
      include: { user: { select: { id: true, role: true, isPlatformAdmin: true, disabledAt: true } } },
    });
    if (!session || session.revokedAt || session.expiresAt <= new Date() || session.user.disabledAt) {
      throw refusalOf(token);
    }
    const actor: Actor = {
      kind: 'user',
      id: session.user.id,
      tenantId: session.tenantId,
      role: session.user.role,
      isPlatformAdmin: session.user.isPlatformAdmin,
      sessionId: session.id,
      ...(session.passwordChangeOnly ? { passwordChangeOnly: true } : {}),
    };
    this.credentials.set(tokenHash, actor, session.expiresAt.getTime());
    return actor;
  }

  private async authenticateApiKey(key: string, digest: string): Promise<Actor> {
    const parsed = parseApiKey(key);
    const apiKey = parsed ? await this.prisma.apiKey.findUnique({ where: { prefix: parsed.prefix } }) : null;
    if (!parsed || !apiKey || apiKey.revokedAt || !digestMatches(parsed.secret, apiKey.secretHash)) {
      throw refusalOf(key);
    }
    const now = Date.now();
    if (!apiKey.lastUsedAt || now - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Bookkeeping only: a failure here must not fail the request.
      void this.prisma.apiKey
        .update({ where: { id: apiKey.id }, data: { lastUsedAt: new Date(now) } })
        .catch(() => undefined);
    }
    const actor: Actor = {
      kind: 'apiKey',
      id: apiKey.id,
      tenantId: apiKey.tenantId,
      role: apiKey.role,
      isPlatformAdmin: false,
      scopes: apiKey.scopes,
    };
    this.credentials.set(digest, actor);
    return actor;
  }
}

/** The one answer to a credential that is not (or no longer) valid, by its kind. */
function refusalOf(credential: string): DomainError {
  if (credential.startsWith(SESSION_TOKEN_PREFIX))
    return unauthenticated('Session expired or revoked; log in again', ErrorReason.CREDENTIAL_INVALID);
  if (credential.startsWith(API_KEY_PREFIX))
    return unauthenticated('Invalid or revoked API key', ErrorReason.CREDENTIAL_INVALID);
  return unauthenticated('Unrecognised credential', ErrorReason.CREDENTIAL_INVALID);
}
