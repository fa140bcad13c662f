import { Arg, Authorized, Ctx, ID, Int, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { AnalysisReport, IncidentReport } from '../schema/report.type';

/**
 * Reports (src/services/report.service.ts) as typed objects; the same reports as downloads (JSON
 * and PDF) are at GET /reports/incidents/<id>.json|pdf[?page=N] and /reports/analyses/<id>.json|pdf.
 */
@Resolver()
export class ReportResolver {
  @Authorized(Permission.AUDIT_READ)
  @Query(() => IncidentReport, {
    description:
      'Everything behind an incident: its summary, rule, decision and audit events, and its analyses a page (50) at a time with their frames (sha256), prompt version and sampling or local trace, reasoning and result; contentSha256 covers every page',
  })
  incidentReport(
    @Arg('incidentId', () => ID) incidentId: string,
    @Arg('page', () => Int, { nullable: true, description: 'Page of the analyses, from 1 (the default)' })
    page: number | null | undefined,
    @Ctx() context: GraphQLContext,
  ): Promise<IncidentReport> {
    const { services, db, actor } = authedContext(context);
    return services.reports.incidentReport(db, actor.tenantId, incidentId, page ?? undefined);
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
