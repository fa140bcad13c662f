import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { TenantUsage } from '../schema/usage.type';

@Resolver(() => TenantUsage)
export class UsageResolver {
  @Authorized(Permission.USAGE_READ)
  @Query(() => TenantUsage, { description: 'Metering and budget of the caller’s tenant for one month' })
  async usage(
    @Arg('month', () => String, { nullable: true, description: 'YYYY-MM (UTC); default the current month' })
    month: string | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, loaders } = authedContext(context);
    return services.usage.usage(db, await loaders.ownTenant(), month);
  }
}
