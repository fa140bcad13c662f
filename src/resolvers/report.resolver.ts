import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';

/**
 * Chain-of-thought reports (src/services/report.service.ts) as JSON objects; the same reports as
 * downloads (JSON and PDF) are at GET /reports/incidents/<id>.json|pdf and /reports/analyses/<id>.json|pdf.
 */
@Resolver()
export class ReportResolver {
  @Authorized(Permission.AUDIT_READ)
  @Query(() => GraphQLJSONObject, {
    description:
      'Everything behind an incident: stream, rule, analyses with frames (sha256), prompt version, sampling, reasoning and result, the decision and who made it, and the audit events; with contentSha256',
  })
  incidentReport(@Arg('incidentId', () => ID) incidentId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.reports.incidentReport(db, actor.tenantId, incidentId);
  }

  @Authorized(Permission.AUDIT_READ)
  @Query(() => GraphQLJSONObject, {
    description:
      'One analysis with its window, frames (sha256), prompt version, sampling, reasoning and result, and the incidents it fired with their decisions; with contentSha256',
  })
  analysisReport(@Arg('analysisId', () => ID) analysisId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.reports.analysisReport(db, actor.tenantId, analysisId);
  }
}
