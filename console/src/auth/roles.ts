import type { Role } from './session';

/**
 * What each role sees in the navigation. The server decides what each role may do
 * (src/auth/permissions.ts); this only hides what would be refused anyway.
 */
export const can = {
  moderate: (role: Role) => role === 'ADMIN' || role === 'MODERATOR',
  administer: (role: Role) => role === 'ADMIN',
  audit: (role: Role) => role === 'ADMIN' || role === 'AUDITOR',
};
