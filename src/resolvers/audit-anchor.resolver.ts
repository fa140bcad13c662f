import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { AuditAnchor, AuditAnchorConnection, AuditAnchorKey } from '../schema/audit-event.type';
import { PageArgsInput } from '../schema/connection.type';

@Resolver(() => AuditAnchor)
export class AuditAnchorResolver {
  @Authorized(Permission.AUDIT_READ)
  @Query(() => AuditAnchorConnection, {
    description:
      'Signed anchors of the tenant’s audit chain head, newest first (empty when anchoring is off)',
  })
  auditAnchors(@Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.auditAnchors.list(db, page);
  }

  @Authorized(Permission.AUDIT_READ)
  @Query(() => AuditAnchorKey, {
    nullable: true,
    description: 'The public key of the audit chain anchors (null when AUDIT_ANCHOR_PRIVATE_KEY is not set)',
  })
  auditAnchorKey(@Ctx() context: GraphQLContext) {
    const { services } = authedContext(context);
    return services.auditAnchors.key();
  }
}
