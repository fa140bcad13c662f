/**
 * What a subscription field's `subscribe` returns. The API's subscription hub serves it, not
 * GraphQL's executor: resolvers only choose the tenant's channel and filter.
 */
export interface TicketSpec {
  /** A channel of the authenticated tenant (chosen by the resolver, never from input). */
  channel: string;
  /** Deliver only events whose payload has this value in this field. */
  filter?: { field: string; value: string };
  /** The client's last cursor: replay what came after it before going live. */
  after?: string | null;
}

export class HubTicket implements AsyncIterable<never> {
  constructor(readonly spec: TicketSpec) {}

  [Symbol.asyncIterator](): AsyncIterator<never> {
    throw new Error('A subscription ticket is served by the subscription hub only');
  }
}
