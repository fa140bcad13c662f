import {
  execute,
  ExecutionArgs,
  ExecutionResult,
  getOperationAST,
  Kind,
  OperationDefinitionNode,
  print,
} from 'graphql';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type WebSocket from 'ws';
import { REVOCATION_CHANNEL, Revocation } from '../auth/credential-cache';
import type { Actor } from '../auth/permissions';
import { DomainError, ErrorCode, ErrorReason } from '../errors/domain-error';
import { BusEvent, EVENT_HISTORY, eventsSince } from '../pubsub/event-bus';

/**
 * Live delivery of GraphQL subscriptions for one API process.
 *
 * - One Redis subscriber connection per process (shared with the credential cache's revocations);
 *   a channel is SUBSCRIBEd while at least one subscription listens to it.
 * - Subscriptions with the same shape (channel, filter, printed document, variables other than the
 *   replay cursor, role) share one listener: each event is executed ONCE per shape and the same
 *   ExecutionResult object is queued for every subscriber of that shape (graphql-ws then only
 *   stringifies it per socket, with the socket's own operation id).
 * - Every subscriber has a bounded queue: when more than `bufferSize` live events wait for a socket
 *   that does not drain, that socket is closed with SLOW_CONSUMER_CLOSE_CODE; the others never wait.
 * - A subscription with a cursor (`after`) first replays what it missed from the channel's Redis
 *   stream while live events are held back, then continues live, dropping any live event at or
 *   before the last replayed cursor: no gap, no duplicate. A replay longer than `replayLimit` is
 *   refused (REPLAY_TOO_LONG) rather than cut short, since a shortened replay would be a silent gap;
 *   the one that runs gives the event loop back every few events, so other requests are not held up.
 * - A revoked credential (message on vigil:credentials:revoked) closes its sockets with 4403.
 */
import { HubTicket, type TicketSpec } from '../pubsub/subscription-ticket';

export const SLOW_CONSUMER_CLOSE_CODE = 4008;
export const REVOKED_CLOSE_CODE = 4403;

export { HubTicket, type TicketSpec } from '../pubsub/subscription-ticket';

/** Compares Redis stream ids ("<ms>-<seq>"). */
export function compareCursors(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split('-').map(Number);
  const [bMs = 0, bSeq = 0] = b.split('-').map(Number);
  return aMs - bMs || aSeq - bSeq;
}

interface Queued {
  result: ExecutionResult;
  live: boolean;
}

class Subscriber implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: Queued[] = [];
  private liveQueued = 0;
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  private done = false;
  /** While replaying, live events wait here (with their cursors). */
  pendingLive: { cursor: string | null; result: ExecutionResult }[] | null = [];
  lastCursor: string | null = null;

  constructor(
    readonly shape: Shape,
    readonly socket: WebSocket,
    private readonly capacity: number,
    private readonly onOverflow: (subscriber: Subscriber) => void,
    private readonly onEnd: (subscriber: Subscriber) => void,
  ) {}

  /** Called for each live event of the shape. */
  offer(cursor: string | null, result: ExecutionResult): void {
    if (this.done) return;
    if (this.pendingLive) {
      this.pendingLive.push({ cursor, result });
      if (this.pendingLive.length > this.capacity) this.onOverflow(this);
      return;
    }
    if (cursor && this.lastCursor && compareCursors(cursor, this.lastCursor) <= 0) return;
    if (cursor) this.lastCursor = cursor;
    this.push(result, true);
  }

  push(result: ExecutionResult, live: boolean): void {
    if (this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: result, done: false });
      return;
    }
    this.queue.push({ result, live });
    if (live && ++this.liveQueued > this.capacity) this.onOverflow(this);
  }

  /** Ends the replay: releases held live events newer than the last replayed one. */
  goLive(): void {
    const pending = this.pendingLive ?? [];
    this.pendingLive = null;
    for (const { cursor, result } of pending) this.offer(cursor, result);
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const item = this.queue.shift();
    if (item) {
      if (item.live) this.liveQueued--;
      return Promise.resolve({ value: item.result, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.end();
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }

  get ended(): boolean {
    return this.done;
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.queue.length = 0;
    this.pendingLive = null;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    this.onEnd(this);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

class Shape {
  readonly subscribers = new Set<Subscriber>();
  /** Events are executed one after another, so every subscriber sees the channel's order. */
  tail: Promise<void> = Promise.resolve();

  constructor(
    readonly key: string,
    readonly spec: TicketSpec,
    readonly args: ExecutionArgs,
  ) {}

  matches(payload: unknown): boolean {
    if (!this.spec.filter) return true;
    return (
      typeof payload === 'object' &&
      payload !== null &&
      (payload as Record<string, unknown>)[this.spec.filter.field] === this.spec.filter.value
    );
  }

  async run(event: { cursor: string | null; payload: unknown }): Promise<ExecutionResult> {
    const rootValue = { ...(event.payload as object), cursor: event.cursor };
    return execute({ ...this.args, rootValue });
  }
}

/** Replayed events executed before the hub lets other work run. */
const REPLAY_SLICE = 20;

export interface ServeOptions {
  /** Called once when the subscription ends, however it ends. */
  onEnd?: () => void;
  /** Called with the number of events a replay will read, before any is executed; may refuse by throwing. */
  chargeReplay?: (events: number) => Promise<void>;
}

export interface HubOptions {
  /** Live events that may wait for one socket before it is dropped. */
  bufferSize?: number;
  /** Most events replayed to one subscription. */
  replayLimit?: number;
}

export interface HubStats {
  connections: number;
  shapes: number;
  subscribers: number;
  executions: number;
  deliveries: number;
  dropped: number;
}

export class SubscriptionHub {
  private readonly shapes = new Map<string, Shape>();
  private readonly channels = new Map<string, { shapes: Set<Shape>; ready: Promise<unknown> }>();
  private readonly connections = new Map<WebSocket, Actor>();
  private readonly bufferSize: number;
  private readonly replayLimit: number;
  private readonly stats = { executions: 0, deliveries: 0, dropped: 0 };

  constructor(
    /** The process's one subscriber connection (also used for revocations). */
    private readonly subscriber: Redis,
    /** A normal connection, for replay reads. */
    private readonly redis: Redis,
    private readonly logger: Logger,
    options: HubOptions = {},
  ) {
    this.bufferSize = options.bufferSize ?? 256;
    this.replayLimit = Math.min(options.replayLimit ?? EVENT_HISTORY, EVENT_HISTORY);
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    await this.subscriber.subscribe(REVOCATION_CHANNEL);
  }

  getStats(): HubStats {
    let subscribers = 0;
    for (const shape of this.shapes.values()) subscribers += shape.subscribers.size;
    return { connections: this.connections.size, shapes: this.shapes.size, subscribers, ...this.stats };
  }

  /** A socket authenticated as `actor`: closed if that credential is revoked. */
  track(socket: WebSocket, actor: Actor): void {
    this.connections.set(socket, actor);
  }

  untrack(socket: WebSocket): void {
    this.connections.delete(socket);
  }

  /**
   * Serves a subscription whose field returned `ticket`; `args` is the operation (without root).
   * Rejects with a DomainError when its replay is refused.
   */
  async serve(
    ticket: HubTicket,
    args: ExecutionArgs,
    socket: WebSocket,
    options: ServeOptions = {},
  ): Promise<AsyncIterableIterator<ExecutionResult>> {
    const key = shapeKey(ticket.spec, args);
    let shape = this.shapes.get(key);
    if (!shape) {
      shape = new Shape(key, ticket.spec, args);
      this.shapes.set(key, shape);
      this.listen(shape);
    }
    const subscriber = new Subscriber(
      shape,
      socket,
      this.bufferSize,
      (slow) => this.drop(slow),
      (ended) => {
        this.remove(ended);
        options.onEnd?.();
      },
    );
    shape.subscribers.add(subscriber);
    await this.channels.get(shape.spec.channel)?.ready;
    if (ticket.spec.after) {
      try {
        await this.replay(subscriber, ticket.spec.after, options.chargeReplay);
      } catch (error) {
        subscriber.end();
        throw error;
      }
    }
    subscriber.goLive();
    return subscriber;
  }

  private async replay(
    subscriber: Subscriber,
    after: string,
    charge: ServeOptions['chargeReplay'],
  ): Promise<void> {
    const shape = subscriber.shape;
    const events = await eventsSince(this.redis, shape.spec.channel, after, this.replayLimit + 1);
    if (events.length > this.replayLimit)
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `More than ${this.replayLimit} events were missed since this cursor: read the current state by query, then subscribe without \`after\``,
        { reason: ErrorReason.REPLAY_TOO_LONG },
      );
    await charge?.(events.length);
    for (const [index, event] of events.entries()) {
      if (index > 0 && index % REPLAY_SLICE === 0) {
        await nextTurn();
        // The client left while the replay waited: nothing more to do for it.
        if (subscriber.ended) return;
      }
      subscriber.lastCursor = event.cursor;
      if (!shape.matches(event.payload)) continue;
      subscriber.push(await shape.run(event), false);
    }
    subscriber.lastCursor ??= after;
  }

  private listen(shape: Shape): void {
    const channel = this.channels.get(shape.spec.channel);
    if (channel) {
      channel.shapes.add(shape);
      return;
    }
    const ready = this.subscriber.subscribe(shape.spec.channel).catch((error: unknown) => {
      this.logger.error({ err: error, channel: shape.spec.channel }, 'could not subscribe to a channel');
    });
    this.channels.set(shape.spec.channel, { shapes: new Set([shape]), ready });
  }

  private remove(subscriber: Subscriber): void {
    const shape = subscriber.shape;
    shape.subscribers.delete(subscriber);
    if (shape.subscribers.size > 0 || this.shapes.get(shape.key) !== shape) return;
    this.shapes.delete(shape.key);
    const channel = this.channels.get(shape.spec.channel);
    if (!channel) return;
    channel.shapes.delete(shape);
    if (channel.shapes.size > 0) return;
    this.channels.delete(shape.spec.channel);
    if (shape.spec.channel !== REVOCATION_CHANNEL)
      this.subscriber.unsubscribe(shape.spec.channel).catch(() => undefined);
  }

  private drop(subscriber: Subscriber): void {
    this.stats.dropped++;
    subscriber.end();
    const socket = subscriber.socket;
    this.logger.warn('closing a subscriber that does not keep up');
    closeSocket(socket, SLOW_CONSUMER_CLOSE_CODE, 'Subscriber too slow; reconnect with your last cursor');
  }

  private onMessage(channel: string, message: string): void {
    if (channel === REVOCATION_CHANNEL) return this.onRevocation(message);
    const entry = this.channels.get(channel);
    if (!entry) return;
    let event: { cursor: string | null; payload: unknown };
    try {
      const parsed = JSON.parse(message) as Partial<BusEvent>;
      // publishEvent wraps {cursor, payload}; live-only channels (reasoning) carry the payload itself.
      event =
        typeof parsed.cursor === 'string' && 'payload' in parsed
          ? { cursor: parsed.cursor, payload: parsed.payload }
          : { cursor: null, payload: parsed };
    } catch (error) {
      this.logger.warn({ err: error, channel }, 'ignored a malformed event');
      return;
    }
    for (const shape of entry.shapes) {
      if (!shape.matches(event.payload)) continue;
      shape.tail = shape.tail.then(async () => {
        if (shape.subscribers.size === 0) return;
        try {
          const result = await shape.run(event);
          this.stats.executions++;
          for (const subscriber of shape.subscribers) {
            subscriber.offer(event.cursor, result);
            this.stats.deliveries++;
          }
        } catch (error) {
          this.logger.error({ err: error, channel }, 'could not execute a subscription event');
        }
      });
    }
  }

  private onRevocation(message: string): void {
    let revocation: Revocation;
    try {
      revocation = JSON.parse(message) as Revocation;
    } catch {
      return;
    }
    for (const [socket, actor] of this.connections) {
      const revoked =
        ('userId' in revocation && actor.kind === 'user' && actor.id === revocation.userId) ||
        ('apiKeyId' in revocation && actor.kind === 'apiKey' && actor.id === revocation.apiKeyId) ||
        ('sessionId' in revocation &&
          actor.sessionId !== undefined &&
          actor.sessionId === revocation.sessionId);
      if (!revoked) continue;
      this.connections.delete(socket);
      closeSocket(socket, REVOKED_CLOSE_CODE, 'Credential revoked');
    }
  }
}

/** Closes with a code; a peer that never reads the close frame is cut off after a grace period. */
function closeSocket(socket: WebSocket, code: number, reason: string): void {
  socket.close(code, reason);
  setTimeout(() => {
    if (socket.readyState !== socket.CLOSED) socket.terminate();
  }, 5_000).unref();
}

/**
 * Subscriptions of one shape receive identical results. The replay cursor (`after`) does not change
 * what an event looks like, so the variable that carries it is left out of the key.
 */
function shapeKey(spec: TicketSpec, args: ExecutionArgs): string {
  const operation = getOperationAST(args.document, args.operationName) as OperationDefinitionNode | null;
  const variables = { ...(args.variableValues ?? {}) };
  const root = operation?.selectionSet.selections[0];
  if (root?.kind === Kind.FIELD) {
    for (const argument of root.arguments ?? []) {
      if (argument.name.value === 'after' && argument.value.kind === Kind.VARIABLE)
        delete variables[argument.value.name.value];
    }
  }
  const role = (args.contextValue as { actor?: Actor } | undefined)?.actor?.role ?? '';
  return JSON.stringify([
    spec.channel,
    spec.filter ?? null,
    role,
    args.operationName ?? null,
    variables,
    print(args.document),
  ]);
}
