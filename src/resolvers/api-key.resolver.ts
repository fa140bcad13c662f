import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { ApiKey, ApiKeyConnection, CreateApiKeyInput, CreateApiKeyPayload } from '../schema/api-key.type';
import { PageArgsInput } from '../schema/connection.type';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Authorized(Permission.API_KEYS_READ)
  @Query(() => ApiKeyConnection)
  apiKeys(@Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.apiKeys.list(db, page);
  }

  @Authorized(Permission.API_KEYS_MANAGE)
  @Mutation(() => CreateApiKeyPayload, { description: 'The secret is in the payload and never shown again' })
  createApiKey(@Arg('input') input: CreateApiKeyInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.apiKeys.create(db, actor, input);
  }

  @Authorized(Permission.API_KEYS_MANAGE)
  @Mutation(() => ApiKey)
  revokeApiKey(@Arg('apiKeyId', () => ID) apiKeyId: string, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.apiKeys.revoke(db, actor, apiKeyId);
  }
}
