import { Arg, Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import {
  AuditChainVerification,
  AuditEvent,
  AuditEventConnection,
  AuditEventFilter,
} from '../schema/audit-event.type';
import { PageArgsInput } from '../schema/connection.type';

@Resolver(() => AuditEvent)
export class AuditEventResolver {
  @Authorized(Permission.AUDIT_READ)
  @Query(() => AuditEventConnection, { description: 'The tenant’s audit log, newest first' })
  auditEvents(
    @Args() page: PageArgsInput,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.audit.list(db, filter ?? {}, page);
  }

  @Authorized(Permission.AUDIT_READ)
  @Query(() => AuditChainVerification, {
    description:
      'Checks the tenant’s whole audit chain (indexes, links, hashes) and reports the first broken event. Once per operation; counted against the rate limit as one request per 100 events; refused (AUDIT_CHAIN_TOO_LONG) past AUDIT_VERIFY_INLINE_MAX_EVENTS, and (VERIFICATION_RUNNING) while another verification of the tenant runs. Long chains: startAuditChainVerification',
  })
  verifyAuditChain(@Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.auditVerifications.verifyInline(db, actor);
  }
}
