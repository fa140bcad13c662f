import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { Analysis } from '../schema/analysis.type';
import { PageArgsInput } from '../schema/connection.type';
import {
  BacktestResult,
  BacktestRuleInput,
  Incident,
  IncidentConnection,
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

  @FieldResolver(() => [Window], { description: 'Evidence: the windows that fired, in stream order' })
  windows(@Root() incident: Incident, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.incidents.windowsOf(db, incident);
  }

  @FieldResolver(() => [Analysis], { description: 'Evidence: the analyses that fired' })
  analyses(@Root() incident: Incident, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.incidents.analysesOf(db, incident);
  }

  @FieldResolver(() => [Frame], { description: 'Evidence: the frames of those windows, in capture order' })
  frames(@Root() incident: Incident, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.windows.framesOf(db, incident);
  }
}
