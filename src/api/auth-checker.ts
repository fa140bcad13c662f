import type { AuthChecker } from 'type-graphql';
import { permissionRefusal, Permission } from '../auth/permissions';
import { ErrorReason, unauthenticated } from '../errors/domain-error';
import type { GraphQLContext } from '../resolvers/graphql-context';

/**
 * Enforces `@Authorized(Permission.X)`. Throws (rather than returning false) so the client gets
 * UNAUTHENTICATED or FORBIDDEN with a message, through the one error mapper.
 */
export const authChecker: AuthChecker<GraphQLContext, Permission> = ({ context }, permissions) => {
  const actor = context.actor;
  if (!actor) throw unauthenticated(undefined, ErrorReason.CREDENTIAL_REQUIRED);
  for (const permission of permissions) {
    const refusal = permissionRefusal(actor, permission);
    if (refusal) throw refusal;
  }
  return true;
};
