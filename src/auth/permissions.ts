import { DomainError, ErrorReason, forbidden } from '../errors/domain-error';
import { Role } from '../generated/prisma/enums';

/**
 * What each role may do. Resolvers declare the permission an operation needs with
 * `@Authorized(Permission.X)`; this table is the only place that decides who has it.
 * Auditors read everything and change nothing; moderators work streams but cannot manage
 * users, keys, templates or rules. Analyses (results and reasoning) are what moderators decide on,
 * so every role reads them; usage and budget are the tenant's cost figures, an admin's and an
 * auditor's concern, not a moderator's. Webhooks are the tenant's integration with its partners:
 * admins manage them, auditors read them; moderators neither (deliveries carry events of every
 * stream and their failures are an integration matter, not a moderation one).
 */
export enum Permission {
  USERS_READ = 'USERS_READ',
  USERS_MANAGE = 'USERS_MANAGE',
  API_KEYS_READ = 'API_KEYS_READ',
  API_KEYS_MANAGE = 'API_KEYS_MANAGE',
  STREAMS_READ = 'STREAMS_READ',
  STREAMS_MANAGE = 'STREAMS_MANAGE',
  STREAMS_CONTROL = 'STREAMS_CONTROL',
  TEMPLATES_READ = 'TEMPLATES_READ',
  TEMPLATES_MANAGE = 'TEMPLATES_MANAGE',
  RULES_READ = 'RULES_READ',
  RULES_MANAGE = 'RULES_MANAGE',
  AUDIT_READ = 'AUDIT_READ',
  ANALYSES_READ = 'ANALYSES_READ',
  USAGE_READ = 'USAGE_READ',
  /** Incidents (stitched rule firings) and their evidence: every role, as analyses. */
  INCIDENTS_READ = 'INCIDENTS_READ',
  /** Runs a rule or a draft over stored results (reads only): rule authors and auditors. */
  RULES_BACKTEST = 'RULES_BACKTEST',
  /** Webhook endpoints (URLs, event filters; never their secrets) and the record of deliveries. */
  WEBHOOKS_READ = 'WEBHOOKS_READ',
  /** Create, change, delete endpoints, rotate their secrets, retry dead deliveries. */
  WEBHOOKS_MANAGE = 'WEBHOOKS_MANAGE',
  /** The tenant's own settings: over-budget action and moderation policy text. */
  TENANT_SETTINGS_MANAGE = 'TENANT_SETTINGS_MANAGE',
  /** The live review queue and alerts (subscriptions): the people who act on them. */
  LIVE_MODERATION = 'LIVE_MODERATION',
  /** Review items and queues, incidents' decisions: read by every role (auditors read decisions). */
  REVIEW_READ = 'REVIEW_READ',
  /** Claim, renew, release, hold, decide, reassign and reopen review items. */
  REVIEW_WORK = 'REVIEW_WORK',
  /** A queue's service levels (time to claim, time to decide). */
  REVIEW_MANAGE = 'REVIEW_MANAGE',
  /** Any authenticated caller (the caller's own tenant). */
  AUTHENTICATED = 'AUTHENTICATED',
  /**
   * The caller's own session and password (me, logout, changePassword): every caller, including a
   * session that may do nothing else until the password is changed.
   */
  OWN_SESSION = 'OWN_SESSION',
  /** Operator-level: tenants, their quotas and the GPU nodes. Held only by users flagged as platform admins. */
  PLATFORM_ADMIN = 'PLATFORM_ADMIN',
}

const READ_ALL = [
  Permission.AUTHENTICATED,
  Permission.OWN_SESSION,
  Permission.USERS_READ,
  Permission.API_KEYS_READ,
  Permission.STREAMS_READ,
  Permission.TEMPLATES_READ,
  Permission.RULES_READ,
  Permission.AUDIT_READ,
  Permission.ANALYSES_READ,
  Permission.USAGE_READ,
  Permission.INCIDENTS_READ,
  Permission.RULES_BACKTEST,
  Permission.WEBHOOKS_READ,
  Permission.REVIEW_READ,
];

export const ROLE_PERMISSIONS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  ADMIN: new Set([
    ...READ_ALL,
    Permission.USERS_MANAGE,
    Permission.API_KEYS_MANAGE,
    Permission.STREAMS_MANAGE,
    Permission.STREAMS_CONTROL,
    Permission.TEMPLATES_MANAGE,
    Permission.RULES_MANAGE,
    Permission.TENANT_SETTINGS_MANAGE,
    Permission.WEBHOOKS_MANAGE,
    Permission.LIVE_MODERATION,
    Permission.REVIEW_WORK,
    Permission.REVIEW_MANAGE,
  ]),
  MODERATOR: new Set([
    Permission.AUTHENTICATED,
    Permission.OWN_SESSION,
    Permission.STREAMS_READ,
    Permission.STREAMS_CONTROL,
    Permission.TEMPLATES_READ,
    Permission.RULES_READ,
    Permission.ANALYSES_READ,
    Permission.INCIDENTS_READ,
    Permission.LIVE_MODERATION,
    Permission.REVIEW_READ,
    Permission.REVIEW_WORK,
  ]),
  AUDITOR: new Set(READ_ALL),
};

export interface Actor {
  kind: 'user' | 'apiKey';
  /** The user's or the API key's id. */
  id: string;
  tenantId: string;
  role: Role;
  isPlatformAdmin: boolean;
  /** Set when the caller authenticated with a login session. */
  sessionId?: string;
  /** An API key's extra rights beyond its role's (API_KEY_SCOPES); none for people. */
  scopes?: readonly string[];
  /** A session from a login with a password an admin reset: it may only change the password. */
  passwordChangeOnly?: boolean;
}

/** Rights an API key may carry beyond its role: "review" claims and decides review items. */
export const API_KEY_SCOPES = ['review'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export function hasScope(actor: Actor, scope: ApiKeyScope): boolean {
  return actor.kind === 'apiKey' && (actor.scopes ?? []).includes(scope);
}

export function hasPermission(actor: Actor, permission: Permission): boolean {
  if (actor.passwordChangeOnly) return permission === Permission.OWN_SESSION;
  if (permission === Permission.PLATFORM_ADMIN) return actor.isPlatformAdmin;
  return ROLE_PERMISSIONS[actor.role].has(permission);
}

/** The refusal of an actor without `permission`: FORBIDDEN, saying why when the password must change first. */
export function permissionRefusal(actor: Actor, permission: Permission): DomainError | null {
  if (hasPermission(actor, permission)) return null;
  return actor.passwordChangeOnly
    ? forbidden(
        'Change your password first: this session may only change it',
        ErrorReason.PASSWORD_CHANGE_REQUIRED,
      )
    : forbidden();
}
