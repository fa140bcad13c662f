import { Role } from '../generated/prisma/enums';
import { Actor, hasPermission, Permission, permissionRefusal, ROLE_PERMISSIONS } from './permissions';

const actor = (role: Role, isPlatformAdmin = false): Actor => ({
  kind: 'user',
  id: 'user-1',
  tenantId: 'tenant-1',
  role,
  isPlatformAdmin,
});

const ALL = Object.values(Permission);
const MANAGE = ALL.filter((permission) => permission.endsWith('_MANAGE'));
const READ = ALL.filter((permission) => permission.endsWith('_READ'));
const ROLES: Role[] = ['ADMIN', 'MODERATOR', 'AUDITOR'];

describe('hasPermission', () => {
  it('has a permission table for every role', () => {
    expect(Object.keys(ROLE_PERMISSIONS).sort()).toEqual([...ROLES].sort());
  });

  it('lets an ADMIN do everything in its tenant but manage tenants', () => {
    for (const permission of ALL) {
      expect(hasPermission(actor('ADMIN'), permission)).toBe(permission !== Permission.PLATFORM_ADMIN);
    }
  });

  it('lets an AUDITOR read everything', () => {
    expect(READ.length).toBeGreaterThanOrEqual(9);
    for (const permission of [...READ, Permission.AUTHENTICATED]) {
      expect(hasPermission(actor('AUDITOR'), permission)).toBe(true);
    }
  });

  it('lets an AUDITOR change nothing', () => {
    expect(MANAGE.length).toBeGreaterThanOrEqual(5);
    for (const permission of [...MANAGE, Permission.STREAMS_CONTROL, Permission.PLATFORM_ADMIN]) {
      expect(hasPermission(actor('AUDITOR'), permission)).toBe(false);
    }
  });

  it('lets a MODERATOR read streams, templates, rules and analyses and control streams', () => {
    for (const permission of [
      Permission.AUTHENTICATED,
      Permission.STREAMS_READ,
      Permission.STREAMS_CONTROL,
      Permission.TEMPLATES_READ,
      Permission.RULES_READ,
      Permission.ANALYSES_READ,
    ]) {
      expect(hasPermission(actor('MODERATOR'), permission)).toBe(true);
    }
  });

  it.each([
    Permission.USERS_READ,
    Permission.USERS_MANAGE,
    Permission.API_KEYS_READ,
    Permission.API_KEYS_MANAGE,
    Permission.STREAMS_MANAGE,
    Permission.TEMPLATES_MANAGE,
    Permission.RULES_MANAGE,
    Permission.AUDIT_READ,
    Permission.USAGE_READ,
    Permission.TENANT_SETTINGS_MANAGE,
    Permission.PLATFORM_ADMIN,
  ])('denies a MODERATOR %s', (permission) => {
    expect(hasPermission(actor('MODERATOR'), permission)).toBe(false);
  });

  it.each(ROLES)('grants PLATFORM_ADMIN to a %s only with isPlatformAdmin', (role) => {
    expect(hasPermission(actor(role, false), Permission.PLATFORM_ADMIN)).toBe(false);
    expect(hasPermission(actor(role, true), Permission.PLATFORM_ADMIN)).toBe(true);
  });

  it('does not widen a role for a platform admin', () => {
    expect(hasPermission(actor('AUDITOR', true), Permission.USERS_MANAGE)).toBe(false);
    expect(hasPermission(actor('MODERATOR', true), Permission.AUDIT_READ)).toBe(false);
  });

  it('treats API keys like users of the same role', () => {
    const key: Actor = { ...actor('MODERATOR'), kind: 'apiKey' };
    expect(hasPermission(key, Permission.STREAMS_CONTROL)).toBe(true);
    expect(hasPermission(key, Permission.RULES_MANAGE)).toBe(false);
  });

  it.each(ROLES)('lets every %s manage their own session and password', (role) => {
    expect(hasPermission(actor(role), Permission.OWN_SESSION)).toBe(true);
  });

  it('lets a session that must change its password do that and nothing else, even for a platform admin', () => {
    const restricted: Actor = { ...actor('ADMIN', true), sessionId: 's-1', passwordChangeOnly: true };
    for (const permission of ALL) {
      expect({ permission, allowed: hasPermission(restricted, permission) }).toEqual({
        permission,
        allowed: permission === Permission.OWN_SESSION,
      });
    }
    expect(permissionRefusal(restricted, Permission.STREAMS_READ)).toMatchObject({
      code: 'FORBIDDEN',
      reason: 'PASSWORD_CHANGE_REQUIRED',
    });
    expect(permissionRefusal(restricted, Permission.OWN_SESSION)).toBeNull();
    expect(permissionRefusal(actor('AUDITOR'), Permission.USERS_MANAGE)).toMatchObject({
      code: 'FORBIDDEN',
      reason: undefined,
    });
  });

  it('never puts PLATFORM_ADMIN in a role table', () => {
    for (const role of ROLES) expect(ROLE_PERMISSIONS[role].has(Permission.PLATFORM_ADMIN)).toBe(false);
  });
});
