import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import type { WebhookDelivery as WebhookDeliveryRow } from '../generated/prisma/client';
import { redactSourceUrl } from '../media/source-url';
import { PageArgsInput } from '../schema/connection.type';
import {
  CreateWebhookEndpointInput,
  UpdateWebhookEndpointInput,
  WebhookDeliveriesArgs,
  WebhookDelivery,
  WebhookDeliveryConnection,
  WebhookEndpoint,
  WebhookEndpointConnection,
  WebhookEndpointWithSecret,
} from '../schema/webhook.type';

@Resolver(() => WebhookEndpoint)
export class WebhookEndpointResolver {
  @FieldResolver(() => String)
  url(@Root() endpoint: { url: string }): string {
    return redactSourceUrl(endpoint.url);
  }

  @Authorized(Permission.WEBHOOKS_READ)
  @Query(() => WebhookEndpointConnection)
  webhookEndpoints(@Args() page: PageArgsInput, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    return services.webhooks.listEndpoints(db, page);
  }

  @Authorized(Permission.WEBHOOKS_MANAGE)
  @Mutation(() => WebhookEndpointWithSecret, {
    description: 'The signing secret is in the payload and never shown again',
  })
  createWebhookEndpoint(@Arg('input') input: CreateWebhookEndpointInput, @Ctx() context: GraphQLContext) {
    const { services, db, actor } = authedContext(context);
    return services.webhooks.createEndpoint(db, actor, { url: input.url, events: input.events ?? [] });
  }

  @Authorized(Permission.WEBHOOKS_MANAGE)
  @Mutation(() => WebhookEndpoint)
  updateWebhookEndpoint(
    @Arg('webhookEndpointId', () => ID) webhookEndpointId: string,
    @Arg('input') input: UpdateWebhookEndpointInput,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.webhooks.updateEndpoint(db, actor, webhookEndpointId, { ...input });
  }

  @Authorized(Permission.WEBHOOKS_MANAGE)
  @Mutation(() => WebhookEndpointWithSecret, {
    description: 'A new signing secret, shown only now; the old one stops working at once',
  })
  rotateWebhookSecret(
    @Arg('webhookEndpointId', () => ID) webhookEndpointId: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.webhooks.rotateSecret(db, actor, webhookEndpointId);
  }

  @Authorized(Permission.WEBHOOKS_MANAGE)
  @Mutation(() => ID, { description: 'Returns the id of the deleted endpoint; its deliveries go with it' })
  deleteWebhookEndpoint(
    @Arg('webhookEndpointId', () => ID) webhookEndpointId: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.webhooks.deleteEndpoint(db, actor, webhookEndpointId);
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => ID)
  webhookEndpointId(@Root() delivery: WebhookDeliveryRow): string {
    return delivery.endpointId;
  }

  @Authorized(Permission.WEBHOOKS_READ)
  @Query(() => WebhookDeliveryConnection, { description: 'Newest first' })
  webhookDeliveries(@Args() args: WebhookDeliveriesArgs, @Ctx() context: GraphQLContext) {
    const { services, db } = authedContext(context);
    const { webhookEndpointId, status, first, after } = args;
    return services.webhooks.listDeliveries(db, { webhookEndpointId, status }, { first, after });
  }

  @Authorized(Permission.WEBHOOKS_MANAGE)
  @Mutation(() => WebhookDelivery, {
    description: 'A DEAD delivery is queued again with a fresh set of attempts',
  })
  retryWebhookDelivery(
    @Arg('webhookDeliveryId', () => ID) webhookDeliveryId: string,
    @Ctx() context: GraphQLContext,
  ) {
    const { services, db, actor } = authedContext(context);
    return services.webhooks.retryDelivery(db, actor, webhookDeliveryId);
  }
}
