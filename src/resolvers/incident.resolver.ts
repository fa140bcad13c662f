import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { Analysis } from '../schema/analysis.type';
import { PageArgsInput } from '../schema/connection.type';
import {
  BacktestResult,
  BacktestRuleInput,
  Incident,
  IncidentClip,
  IncidentConnection,
  IncidentFiring,
  IncidentFiringConnection,
  IncidentStatus,
} from '../schema/incident.type';
import { Frame, Window } from '../schema/window.type';

@Resolver(() => Incident)
export class IncidentResolver {
  @Authorized(Permission.INCIDENTS_READ)
  @Query(() => IncidentConnection, { description: 'Newest first' })
  incidents(
    @Args() page: PageArgsInput,
    @Arg('streamId', () => ID, { nullable: true }) streamId: string | null,
    @Arg('status', () => IncidentStatus, { nullable: true }) status: IncidentStatus | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db } = authedContext(context);
    return services.incidents.list(db, page, { streamId, status });
  }

  @Authorized(Permission.INCIDENTS_READ)
  @Query(() => Incident)
  incident(@Arg('incidentId', () => ID) incidentId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.incidents.get(db, incidentId);
  }

  @Authorized(Permission.RULES_BACKTEST)
  @Query(() => BacktestResult, {
    description:
      'What a saved rule or a draft would have fired on a stream’s stored results (changes nothing)',
  })
  backtestRule(@Arg('input') input: BacktestRuleInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.incidents.backtest(db, actor.tenantId, input);
  }

  @FieldResolver(() => IncidentFiringConnection, {
    description:
      'Evidence: every firing of the rule into this incident, a page at a time, first firing first',
  })
  evidence(@Root() incident: Incident, @Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.incidents.firingsOf(db, incident.id, page);
  }

  @FieldResolver(() => IncidentClip, {
    nullable: true,
    description:
      'The evidence clip, built on first request when missing or stale (it then takes seconds: ask for it on one incident at a time); null when none of its frames is stored any more',
  })
  clip(@Root() incident: Incident, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.evidence.clipView(db, actor.tenantId, incident.id);
  }

  @FieldResolver(() => [Frame], {
    description:
      'The keyframes (`keyframeIds`) with signed URLs, in capture order (frames purged by retention are left out)',
  })
  keyframes(@Root() incident: Incident, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.windows.framesOf(db, { frameIds: incident.keyframeIds });
  }
}

@Resolver(() => IncidentFiring)
export class IncidentFiringResolver {
  @FieldResolver(() => Window, { nullable: true, description: 'The window that fired (null once purged)' })
  window(@Root() firing: IncidentFiring, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.windows.find(db, firing.windowId);
  }

  @FieldResolver(() => Analysis, { nullable: true, description: 'The analysis whose result matched' })
  analysis(@Root() firing: IncidentFiring, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.analyses.find(db, firing.analysisId);
  }
}
