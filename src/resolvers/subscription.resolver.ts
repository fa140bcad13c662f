import { Arg, Authorized, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { ResolverData } from 'type-graphql';
import { authedContext, type GraphQLContext } from './graphql-context';
import { Permission } from '../auth/permissions';
import { HubTicket } from '../pubsub/subscription-ticket';
import { TOPICS } from '../pubsub/topics';
import {
  AlertEvent,
  AnalysisCompletedEvent,
  AnalysisReasoningEvent,
  ReviewItemEvent,
  StreamStatusEvent,
} from '../schema/subscription-events.type';

type SubscribeData = Omit<ResolverData<GraphQLContext>, 'root'> & { args: Record<string, unknown> };

const after = (args: Record<string, unknown>): string | null =>
  typeof args.after === 'string' && args.after ? args.after : null;

/**
 * Subscriptions are served by the SubscriptionHub (src/api/subscription-hub.ts): `subscribe`
 * checks the caller (role through @Authorized, ids through the tenant-scoped database) and returns a
 * ticket naming a channel of the caller's own tenant; the field resolvers below only pass the event
 * through, executed once per event and subscription shape.
 */
@Resolver()
export class SubscriptionResolver {
  @Authorized(Permission.LIVE_MODERATION)
  @Subscription(() => ReviewItemEvent, {
    description: 'Review items of one queue (or all) added, claimed, held, escalated, resolved, …',
    subscribe: ({ args, context }: SubscribeData) => {
      const { actor } = authedContext(context);
      return new HubTicket({
        channel: TOPICS.reviewItems(actor.tenantId),
        // No queue: the whole tenant's queue (the console's live list shows every queue).
        filter: typeof args.queue === 'string' ? { field: 'queue', value: args.queue } : undefined,
        after: after(args),
      });
    },
  })
  reviewQueue(
    @Root() event: ReviewItemEvent,
    @Arg('queue', () => String, { nullable: true, description: 'One queue; omitted, every queue' })
    _queue?: string | null,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): ReviewItemEvent {
    return event;
  }

  @Authorized(Permission.LIVE_MODERATION)
  @Subscription(() => AlertEvent, {
    description: 'Alerts raised by the tenant’s rules',
    subscribe: ({ args, context }: SubscribeData) => {
      const { actor } = authedContext(context);
      return new HubTicket({ channel: TOPICS.alerts(actor.tenantId), after: after(args) });
    },
  })
  alerts(
    @Root() event: AlertEvent,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): AlertEvent {
    return event;
  }

  @Authorized(Permission.STREAMS_READ)
  @Subscription(() => StreamStatusEvent, {
    description: 'Status changes of one stream',
    subscribe: async ({ args, context }: SubscribeData) => {
      const { actor, db, services } = authedContext(context);
      const stream = await services.streams.get(db, String(args.streamId));
      return new HubTicket({
        channel: TOPICS.streamStatus(actor.tenantId),
        filter: { field: 'streamId', value: stream.id },
        after: after(args),
      });
    },
  })
  streamStatus(
    @Root() event: StreamStatusEvent,
    @Arg('streamId', () => ID) _streamId: string,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): StreamStatusEvent {
    return event;
  }

  @Authorized(Permission.ANALYSES_READ)
  @Subscription(() => AnalysisCompletedEvent, {
    description: 'Analyses of one stream as they finish',
    subscribe: async ({ args, context }: SubscribeData) => {
      const { actor, db, services } = authedContext(context);
      const stream = await services.streams.get(db, String(args.streamId));
      return new HubTicket({
        channel: TOPICS.analysesFinished(actor.tenantId),
        filter: { field: 'streamId', value: stream.id },
        after: after(args),
      });
    },
  })
  analysisCompleted(
    @Root() event: AnalysisCompletedEvent,
    @Arg('streamId', () => ID) _streamId: string,
    @Arg('after', () => String, { nullable: true }) _after?: string | null,
  ): AnalysisCompletedEvent {
    return event;
  }

  @Authorized(Permission.ANALYSES_READ)
  @Subscription(() => AnalysisReasoningEvent, {
    description: 'The model’s reasoning for one analysis as it is produced (live only)',
    subscribe: async ({ args, context }: SubscribeData) => {
      const { actor, db, services } = authedContext(context);
      const analysis = await services.analyses.get(db, String(args.analysisId));
      return new HubTicket({ channel: TOPICS.analysisReasoning(actor.tenantId, analysis.id) });
    },
  })
  analysisReasoning(
    @Root() event: AnalysisReasoningEvent,
    @Arg('analysisId', () => ID) _analysisId: string,
  ): AnalysisReasoningEvent {
    return {
      type: event.type,
      analysisId: event.analysisId,
      attempt: event.attempt ?? null,
      node: event.node ?? null,
      text: event.text ?? null,
      offset: event.offset ?? null,
      status: event.status ?? null,
    };
  }
}
