import type { Actor, Permission } from '../auth/permissions';
import { permissionRefusal } from '../auth/permissions';
import type { PrismaClient } from '../db/prisma-client';
import { ErrorReason, unauthenticated } from '../errors/domain-error';
import type { AuthService } from '../services/auth.service';
import type { RateLimitService } from '../services/rate-limit.service';
import { createTenantContext, TenantContext } from '../resolvers/graphql-context';

/**
 * Where a request's credential may be: HTTP headers, or graphql-ws connection_init parameters,
 * which carry the same names.
 */
export interface CredentialCarrier {
  authorization?: unknown;
  'x-api-key'?: unknown;
}

/** A session token or API key as `Authorization: Bearer <credential>`, or an API key as `x-api-key`. */
export function credentialOf(carrier: CredentialCarrier | null | undefined): string | undefined {
  const header = carrier?.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer '))
    return header.slice('Bearer '.length).trim() || undefined;
  const apiKey = carrier?.['x-api-key'];
  return typeof apiKey === 'string' && apiKey ? apiKey : undefined;
}

export interface AuthenticatedRequest extends TenantContext {
  credential: string;
}

export interface RequestAuthenticatorDeps {
  prisma: PrismaClient;
  auth: Pick<AuthService, 'authenticate'>;
  rateLimits: Pick<RateLimitService, 'consumeApiKey' | 'consumeSession'>;
}

export interface AdmissionOptions {
  /** Whose budget a credential that is not verified yet counts against until it proves valid. */
  clientAddress: string;
  permission?: Permission;
  missing?: string;
}

/**
 * Every entry of the API (GraphQL over HTTP, graphql-ws connection_init, GET /frames,
 * GET /reports) admits a request here, in one order: the credential is checked (revoked keys,
 * expired sessions and disabled users are refused; one not verified a moment ago counts against
 * the client address's budget for requests without a valid credential until it proves valid), one
 * request is counted against the credential's rate limit, the route's permission (if any) is
 * checked, and the tenant context is built from the proven actor only. A failure is a
 * DomainError: UNAUTHENTICATED, RATE_LIMITED or FORBIDDEN, which each entry turns into its own
 * answer.
 */
export class RequestAuthenticator {
  constructor(private readonly deps: RequestAuthenticatorDeps) {}

  async authenticate(
    credential: string | undefined,
    options: AdmissionOptions,
  ): Promise<AuthenticatedRequest> {
    if (!credential)
      throw unauthenticated(options.missing ?? 'A credential is required', ErrorReason.CREDENTIAL_REQUIRED);
    const actor = await this.deps.auth.authenticate(credential, options.clientAddress);
    await this.consumeRateLimit(actor);
    const refusal = options.permission ? permissionRefusal(actor, options.permission) : null;
    if (refusal) throw refusal;
    return { credential, ...createTenantContext(this.deps.prisma, actor) };
  }

  /**
   * Counts work that costs like `requests` requests (a subscription's replay) against the
   * credential's rate limit: RATE_LIMITED when the budget is used up.
   */
  charge(actor: Actor, requests: number): Promise<void> {
    return this.consumeRateLimit(actor, requests);
  }

  private consumeRateLimit(actor: Actor, requests = 1): Promise<void> {
    return actor.kind === 'apiKey'
      ? this.deps.rateLimits.consumeApiKey(actor.id, requests)
      : this.deps.rateLimits.consumeSession(actor.sessionId ?? actor.id, requests);
  }
}
