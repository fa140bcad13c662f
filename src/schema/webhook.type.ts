import { GraphQLJSON } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WebhookDeliveryStatus } from '../generated/prisma/enums';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events';
import { Connection, PageArgsInput } from './connection.type';

registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description:
    'PENDING: queued or being retried with backoff; DELIVERED: the endpoint answered 2xx; DEAD: every attempt failed (retryable)',
});

const EVENTS_TEXT = `Event names: ${WEBHOOK_EVENTS.join(', ')}`;

@ObjectType({
  description: 'Where a tenant receives signed webhook deliveries; its secret is never shown again',
})
export class WebhookEndpoint {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The receiving URL (secret-looking query values shown as ***)' })
  url!: string;

  @Field(() => [String], { description: `Events this endpoint receives; empty: all. ${EVENTS_TEXT}` })
  events!: string[];

  @Field()
  enabled!: boolean;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType()
export class WebhookEndpointConnection extends Connection(WebhookEndpoint, 'WebhookEndpoint') {}

@ObjectType()
export class WebhookEndpointWithSecret {
  @Field(() => WebhookEndpoint)
  webhookEndpoint!: WebhookEndpoint;

  @Field({
    description: 'The signing secret (HMAC-SHA256 key of Vigil-Signature). Shown only now: store it safely',
  })
  secret!: string;
}

@InputType()
export class CreateWebhookEndpointInput {
  @Field({ description: 'https (or http) URL; loopback, private and link-local addresses are refused' })
  url!: string;

  @Field(() => [String], { nullable: true, description: `Empty or absent: every event. ${EVENTS_TEXT}` })
  events?: string[] | null;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => [String], { nullable: true, description: `Empty: every event. ${EVENTS_TEXT}` })
  events?: string[] | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;
}

@ObjectType({ description: 'One event occurrence sent (or being sent) to one endpoint' })
export class WebhookDelivery {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  webhookEndpointId!: string;

  @Field()
  event!: string;

  @Field({ description: 'Identifies the occurrence; one delivery per endpoint and key' })
  eventKey!: string;

  @Field(() => GraphQLJSON, { description: 'The data field of the body sent' })
  payload!: unknown;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last attempt, if it got an answer' })
  lastStatus!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class WebhookDeliveryConnection extends Connection(WebhookDelivery, 'WebhookDelivery') {}

@ArgsType()
export class WebhookDeliveriesArgs extends PageArgsInput {
  @Field(() => ID, { nullable: true })
  webhookEndpointId?: string | null;

  @Field(() => WebhookDeliveryStatus, { nullable: true })
  status?: WebhookDeliveryStatus | null;
}
