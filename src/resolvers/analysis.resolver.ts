import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { Analysis } from '../schema/analysis.type';
import { PromptTemplateVersion } from '../schema/prompt-template.type';

@Resolver(() => Analysis)
export class AnalysisResolver {
  @Authorized(Permission.ANALYSES_READ)
  @Query(() => Analysis)
  analysis(@Arg('analysisId', () => ID) analysisId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.analyses.get(db, analysisId);
  }

  // While the analysis runs, the stored text is empty: read what the worker has so far.
  @FieldResolver(() => String)
  reasoning(@Root() analysis: Analysis, @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.analyses.reasoningOf(actor.tenantId, analysis);
  }

  @FieldResolver(() => PromptTemplateVersion, {
    nullable: true,
    description: 'The prompt, model and sampling settings the window was analysed with',
  })
  templateVersion(@Root() analysis: Analysis, @Ctx() context: GraphQLContext) {
    return authedContext(context).loaders.templateVersion.load(analysis.templateVersionId);
  }
}
