import { GraphQLJSONObject } from 'graphql-scalars';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { PageArgsInput } from '../schema/connection.type';
import {
  CreatePromptTemplateInput,
  PromptPreview,
  PromptTemplate,
  PromptTemplateConnection,
  PromptTemplateVersion,
  PromptTemplateVersionConnection,
  PromptTemplateVersionInput,
} from '../schema/prompt-template.type';

@Resolver(() => PromptTemplate)
export class PromptTemplateResolver {
  @Authorized(Permission.TEMPLATES_READ)
  @Query(() => PromptTemplateConnection)
  promptTemplates(@Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.templates.list(db, page);
  }

  @Authorized(Permission.TEMPLATES_READ)
  @Query(() => PromptTemplate)
  promptTemplate(@Arg('templateId', () => ID) templateId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.templates.get(db, templateId);
  }

  @Authorized(Permission.TEMPLATES_READ)
  @Query(() => PromptTemplateVersion)
  promptTemplateVersion(@Arg('versionId', () => ID) versionId: string, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.templates.getVersion(db, versionId);
  }

  @Authorized(Permission.TEMPLATES_READ)
  @Query(() => PromptPreview, {
    description:
      'Renders a version as the model gets it: {{streamName}} is the chosen stream’s name (a sample name without streamId), {{policy}} the tenant’s policy text; `variables` gives the others (or overrides those)',
  })
  promptPreview(
    @Arg('versionId', () => ID) versionId: string,
    @Arg('variables', () => GraphQLJSONObject, { nullable: true }) variables: Record<string, unknown> | null,
    @Arg('streamId', () => ID, { nullable: true }) streamId: string | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.templates.preview(db, actor.tenantId, versionId, variables, streamId);
  }

  @Authorized(Permission.TEMPLATES_MANAGE)
  @Mutation(() => PromptTemplate, { description: 'Creates a template; its first version is active' })
  createPromptTemplate(@Arg('input') input: CreatePromptTemplateInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.templates.create(db, actor, input);
  }

  @Authorized(Permission.TEMPLATES_MANAGE)
  @Mutation(() => PromptTemplateVersion, { description: 'Adds an immutable version; activate it separately' })
  addPromptTemplateVersion(
    @Arg('templateId', () => ID) templateId: string,
    @Arg('input') input: PromptTemplateVersionInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.templates.addVersion(db, actor, templateId, input);
  }

  @Authorized(Permission.TEMPLATES_MANAGE)
  @Mutation(() => PromptTemplate, { description: 'Makes this version the one analyses use' })
  activatePromptTemplateVersion(
    @Arg('versionId', () => ID) versionId: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.templates.activateVersion(db, actor, versionId);
  }

  @FieldResolver(() => PromptTemplateVersion, { nullable: true })
  activeVersion(@Root() template: PromptTemplate, @Ctx() context: GraphQLContext) {
    return template.activeVersionId
      ? authedContext(context).loaders.templateVersion.load(template.activeVersionId)
      : null;
  }

  @FieldResolver(() => PromptTemplateVersionConnection)
  versions(@Root() template: PromptTemplate, @Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.templates.listVersions(db, template.id, page);
  }
}
