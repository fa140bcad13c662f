import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { type AuditVerificationRow, verificationResultOf } from '../audit/audit-verifications';
import {
  AuditChainVerification,
  AuditChainVerificationRun,
  AuditChainVerificationRunConnection,
} from '../schema/audit-event.type';
import { PageArgsInput } from '../schema/connection.type';

@Resolver(() => AuditChainVerificationRun)
export class AuditVerificationResolver {
  @FieldResolver(() => AuditChainVerification, { nullable: true })
  result(@Root() row: AuditVerificationRow): AuditChainVerification | null {
    return verificationResultOf(row);
  }

  @Authorized(Permission.AUDIT_READ)
  @Mutation(() => AuditChainVerificationRun, {
    description:
      'Verifies the tenant’s whole audit chain in a worker, for chains of any length; answers the verification already queued or running, if any. Follow it with auditChainVerification',
  })
  startAuditChainVerification(@Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.auditVerifications.start(db, actor);
  }

  @Authorized(Permission.AUDIT_READ)
  @Query(() => AuditChainVerificationRun)
  auditChainVerification(
    @Arg('verificationId', () => ID) verificationId: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.auditVerifications.get(db, verificationId);
  }

  @Authorized(Permission.AUDIT_READ)
  @Query(() => AuditChainVerificationRunConnection, {
    description: 'The tenant’s verifications run as jobs, newest first',
  })
  auditChainVerifications(@Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.auditVerifications.list(db, page);
  }
}
