import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { AnalysisReport, IncidentReport } from '../schema/report.type';

/**
 * Chain-of-thought reports (src/services/report.service.ts) as typed objects; the same reports as
 * downloads (JSON and PDF) are at GET /reports/incidents/<id>.json|pdf and /reports/analyses/<id>.json|pdf.
 */
@Resolver()
export class ReportResolver {
  @Authorized(Permission.AUDIT_READ)
  @Query(() => IncidentReport, {
    description:
      'Everything behind an incident: stream, rule, analyses with frames (sha256), prompt version, sampling, reasoning and result, the decision and who made it, and the audit events; with contentSha256',
  })
  incidentReport(
    @Arg('incidentId', () => ID) incidentId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<IncidentReport> {
    const { services, db, actor } = authedContext(context);
    return services.reports.incidentReport(db, actor.tenantId, incidentId);
  }

  @Authorized(Permission.AUDIT_READ)
  @Query(() => AnalysisReport, {
    description:
      'One analysis with its window, frames (sha256), prompt version, sampling, reasoning and result, and the incidents it fired with their decisions; with contentSha256',
  })
  analysisReport(
    @Arg('analysisId', () => ID) analysisId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<AnalysisReport> {
    const { services, db, actor } = authedContext(context);
    return services.reports.analysisReport(db, actor.tenantId, analysisId);
  }
}
