import {
  Arg,
  Args,
  Authorized,
  Ctx,
  FieldResolver,
  Float,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { PageArgsInput } from '../schema/connection.type';
import {
  CreateTenantInput,
  CreateTenantPayload,
  Tenant,
  TenantConnection,
  TenantQuotasInput,
  UpdateTenantSettingsInput,
} from '../schema/tenant.type';

@Resolver(() => Tenant)
export class TenantResolver {
  @Authorized(Permission.PLATFORM_ADMIN)
  @Query(() => TenantConnection, { description: 'Platform admins only' })
  tenants(@Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    return authedContext(context).services.tenants.list(page);
  }

  @Authorized(Permission.AUTHENTICATED)
  @Query(() => Tenant, { description: 'The caller’s own tenant' })
  myTenant(@Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.tenants.get(actor.tenantId);
  }

  @Authorized(Permission.PLATFORM_ADMIN)
  @Mutation(() => CreateTenantPayload, { description: 'Platform admins only: a tenant and its first admin' })
  createTenant(@Arg('input') input: CreateTenantInput, @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.tenants.create(actor, input);
  }

  @Authorized(Permission.PLATFORM_ADMIN)
  @Mutation(() => Tenant, { description: 'Platform admins only' })
  updateTenantQuotas(
    @Arg('tenantId', () => ID) tenantId: string,
    @Arg('input') input: TenantQuotasInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, actor } = authedContext(context);
    return services.tenants.updateQuotas(actor, tenantId, input);
  }

  @Authorized(Permission.TENANT_SETTINGS_MANAGE)
  @Mutation(() => Tenant, {
    description: 'The caller’s own tenant: over-budget action and moderation policy',
  })
  updateTenantSettings(@Arg('input') input: UpdateTenantSettingsInput, @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.tenants.updateSettings(actor, input);
  }

  @Authorized(Permission.TENANT_SETTINGS_MANAGE)
  @Mutation(() => Tenant, {
    description:
      'The caller’s own tenant: the template a stream created without one gets; null returns to the oldest template',
  })
  setDefaultTemplate(
    @Arg('templateId', () => ID, { nullable: true }) templateId: string | null,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, actor } = authedContext(context);
    return services.tenants.setDefaultTemplate(actor, templateId ?? null);
  }

  @Authorized(Permission.TENANT_SETTINGS_MANAGE)
  @Mutation(() => Tenant, {
    description:
      'The caller’s own tenant: replaces its custom labels (each 1 to 60 characters, stored trimmed and lower-case; at most 200, distinct, none of the COCO labels)',
  })
  setCustomLabels(@Arg('labels', () => [String]) labels: string[], @Ctx() context: GraphQLContext) {
    const { services, actor } = authedContext(context);
    return services.tenants.setCustomLabels(actor, labels);
  }

  @FieldResolver(() => [String], {
    description: 'Every label rules and template gates may name: the 80 COCO labels, then the custom labels',
  })
  labelVocabulary(@Root() tenant: Tenant, @Ctx() context: GraphQLContext): string[] {
    return authedContext(context).services.tenants.labelVocabulary(tenant);
  }

  @FieldResolver(() => Float)
  monthlyTokenBudget(@Root() tenant: Tenant): number {
    return Number(tenant.monthlyTokenBudget);
  }
}
