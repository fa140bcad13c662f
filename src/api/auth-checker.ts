import type { AuthChecker } from 'type-graphql';
import { hasPermission, Permission } from '../auth/permissions';
import { ErrorReason, forbidden, unauthenticated } from '../errors/domain-error';
import type { GraphQLContext } from '../resolvers/graphql-context';

/**
 * Enforces `@Authorized(Permission.X)`. Throws (rather than returning false) so the client gets
 * UNAUTHENTICATED or FORBIDDEN with a message, through the one error mapper.
 */
export const authChecker: AuthChecker<GraphQLContext, Permission> = ({ context }, permissions) => {
  const actor = context.actor;
  if (!actor) throw unauthenticated(undefined, ErrorReason.CREDENTIAL_REQUIRED);
  if (permissions.length === 0) return true;
  if (permissions.every((permission) => hasPermission(actor, permission))) return true;
  throw forbidden();
};
