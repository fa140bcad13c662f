import type { Role } from '../../auth/session';

export const ROLES: Role[] = ['ADMIN', 'MODERATOR', 'AUDITOR'];

/** What each role may do, in a few words, for the forms that give one. */
export const ROLE_HELP: Record<Role, string> = {
  ADMIN: 'everything in the tenant',
  MODERATOR: 'works the review queues',
  AUDITOR: 'reads reports and the audit log, changes nothing',
};
