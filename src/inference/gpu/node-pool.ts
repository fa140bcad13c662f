import { Agent } from 'undici';
import type { Logger } from 'pino';
import type { InferenceMetrics } from '../inference-metrics';
import { BreakerState, CircuitBreaker } from './circuit-breaker';
import type { NodeDefinition } from '../../config/node-definition';
import { checkHealth, listModels, NodeEndpoint, NodeLoad, readNodeLoad, ServedModel } from './vllm-client';

export interface NodePoolOptions {
  pollIntervalMs: number;
  breakerFailures: number;
  breakerOpenMs: number;
  logger: Logger;
  metrics?: InferenceMetrics;
}

/** What the pool knows about one node, for status pages and GraphQL. */
export interface NodeStatus {
  name: string;
  url: string;
  model: string;
  source: NodeDefinition['source'];
  state: NodeDefinition['state'];
  weight: number;
  hasApiKey: boolean;
  healthy: boolean | null;
  breaker: BreakerState;
  outstanding: number;
  maxConcurrency: number;
  /** From the node's /metrics: every client's requests, not only this worker's. */
  running: number | null;
  waiting: number | null;
  kvCacheUsage: number | null;
  /** From the node's /v1/models; empty until it has been read. */
  servedModels: string[];
  /** Each served model's context length (max_model_len), where the node reports it. */
  maxModelLens: Record<string, number>;
  /** The node's latest failure, of a request or of a poll; cleared once it works again. */
  lastError: string | null;
  lastErrorAt: string | null;
}

export type NodeOutcome = 'success' | 'failure' | 'neutral';

/** A healthy node's /v1/models is read on one poll in this many (and whenever it is unknown). */
const MODELS_EVERY_POLLS = 10;

export interface NodeLease {
  readonly name: string;
  readonly endpoint: NodeEndpoint;
  readonly dispatcher: Agent;
  /** The node's context length for the model the lease was taken for, when the node says it. */
  readonly maxModelLen: number | null;
  /**
   * Must be called exactly once. 'failure' counts against the node's breaker; `error` (what went
   * wrong, for any outcome) becomes the node's lastError.
   */
  release(outcome: NodeOutcome, error?: string): void;
}

export type AcquireResult =
  | { lease: NodeLease }
  /** No node can take the request now or soon: fall back instead of waiting. */
  | { unavailable: 'no-node-serves-model' | 'all-nodes-down' };

/**
 * How many requests one worker may have in flight on a node of `slots` slots, so that several
 * workers together fill the slots without building a queue in the node. Alone on the node (no
 * load but its own as of the last poll), all the slots. With other workers, the greater of two
 * moves from what it had at the last poll: scaled by slots / requests in the node (if every worker
 * does the same, together they hold exactly the slots, however many they are), and that plus half
 * the free slots (so a worker that had none gets some room). Every worker reads the same /metrics
 * at about the same time: if each took all the free room they would all overshoot together, then
 * all back off together, and the node would swing between a queue and idle slots. Rounded up, as
 * a fraction of a slot is no use (the overshoot is at most one request per worker); at least one,
 * so no worker is shut out for good.
 */
export function workerLimit(slots: number, load: NodeLoad | null, outstandingAtPoll: number): number {
  if (!load) return slots;
  const inNode = load.running + load.waiting;
  if (inNode <= outstandingAtPoll) return slots;
  const scaled = (outstandingAtPoll * slots) / inNode;
  const withRoom = outstandingAtPoll + (slots - inNode) / 2;
  return Math.min(slots, Math.max(1, Math.ceil(Math.max(scaled, withRoom))));
}

class PoolNode {
  readonly breaker: CircuitBreaker;
  readonly dispatcher: Agent;
  outstanding = 0;
  healthy: boolean | null = null;
  load: NodeLoad | null = null;
  /** Our own outstanding requests when `load` was read: the rest of the load is other workers'. */
  outstandingAtPoll = 0;
  /** What /v1/models last said; null until it has answered. */
  servedModels: ServedModel[] | null = null;
  /** Polls since /v1/models was last read successfully. */
  pollsSinceModels = 0;
  lastError: string | null = null;
  lastErrorAt: Date | null = null;
  /** A poll's error is cleared by the next good poll; a request's only by a request that works. */
  lastErrorFrom: 'poll' | 'request' | null = null;
  removed = false;

  constructor(
    public definition: NodeDefinition,
    options: NodePoolOptions,
  ) {
    this.breaker = new CircuitBreaker(options.breakerFailures, options.breakerOpenMs);
    // Keep-alive connections, a few more than the node's concurrency for health and metrics.
    this.dispatcher = new Agent({
      connections: definition.maxConcurrency + 4,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
  }

  get endpoint(): NodeEndpoint {
    return { name: this.definition.name, url: this.definition.url, apiKey: this.definition.apiKey };
  }

  /** Requests of other workers in the node (running or waiting), as of the last poll. */
  get othersLoad(): number {
    if (!this.load) return 0;
    return Math.max(0, this.load.running + this.load.waiting - this.outstandingAtPoll);
  }

  /** How many requests this worker may have in flight now (workerLimit). */
  get limit(): number {
    return workerLimit(this.definition.maxConcurrency, this.load, this.outstandingAtPoll);
  }

  /**
   * Once the node has listed its models, that list decides: a node configured for a model it does
   * not serve would only answer 404. Until then, the model it was configured with.
   */
  serves(model: string): boolean {
    if (this.servedModels === null) return this.definition.model === model;
    return this.servedModels.some((served) => served.id === model);
  }

  maxModelLen(model: string): number | null {
    return this.servedModels?.find((served) => served.id === model)?.maxModelLen ?? null;
  }

  fail(error: string, from: 'poll' | 'request'): void {
    this.lastError = error.slice(0, 1000);
    this.lastErrorAt = new Date();
    this.lastErrorFrom = from;
  }

  recover(from: 'poll' | 'request'): void {
    if (this.lastErrorFrom !== from) return;
    this.lastError = null;
    this.lastErrorAt = null;
    this.lastErrorFrom = null;
  }

  /** Lower is better: outstanding work per unit of weight, KV cache pressure as tie-breaker. */
  get score(): number {
    return (this.outstanding + this.othersLoad) / this.definition.weight + (this.load?.kvCacheUsage ?? 0);
  }
}

/**
 * The GPU nodes one worker process sends windows to. Routing is least outstanding requests,
 * corrected by each node's own /metrics (read every pollIntervalMs); a per-node concurrency
 * limit keeps nodes busy without deep queues in vLLM; a circuit breaker per node keeps a failing
 * node out until a half-open probe succeeds.
 */
export class NodePool {
  private nodes = new Map<string, PoolNode>();
  private waiters: (() => void)[] = [];
  private pollTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: NodePoolOptions) {}

  /** Replaces the node list: new nodes join, changed ones are updated, missing ones are removed once idle. */
  setDefinitions(definitions: readonly NodeDefinition[]): void {
    const wanted = new Map(definitions.map((definition) => [definition.name, definition]));
    for (const [name, node] of this.nodes) {
      if (!wanted.has(name)) {
        node.removed = true;
        this.nodes.delete(name);
        if (node.outstanding === 0) void node.dispatcher.close();
      }
    }
    for (const definition of definitions) {
      const existing = this.nodes.get(definition.name);
      if (
        existing &&
        existing.definition.url === definition.url &&
        existing.definition.apiKey === definition.apiKey
      ) {
        existing.definition = definition;
      } else {
        if (existing) {
          existing.removed = true;
          if (existing.outstanding === 0) void existing.dispatcher.close();
        }
        this.nodes.set(definition.name, new PoolNode(definition, this.options));
      }
    }
    this.options.metrics?.forgetNodesExcept([...this.nodes.keys()]);
    this.wake();
  }

  /** Polls once at once, then every pollIntervalMs. */
  async start(): Promise<void> {
    await this.pollNow();
    const tick = (): void => {
      this.pollTimer = setTimeout(() => {
        void this.pollNow().finally(() => {
          if (!this.closed) tick();
        });
      }, this.options.pollIntervalMs);
      this.pollTimer.unref();
    };
    tick();
  }

  /** Reads /health, /metrics and /v1/models of every node. */
  pollNow(): Promise<void> {
    this.polling ??= Promise.all([...this.nodes.values()].map((node) => this.pollNode(node)))
      .then(() => {
        this.wake();
      })
      .finally(() => {
        this.polling = null;
      });
    return this.polling;
  }

  private async pollNode(node: PoolNode): Promise<void> {
    const timeoutMs = Math.max(500, Math.min(5_000, this.options.pollIntervalMs));
    const endpoint = node.endpoint;
    let problem: string | null = null;
    try {
      node.healthy = await checkHealth(endpoint, node.dispatcher, timeoutMs);
      if (!node.healthy) problem = '/health did not answer 200';
    } catch (error) {
      node.healthy = false;
      problem = `/health: ${(error as Error).message}`;
    }
    if (node.healthy) {
      const outstandingBefore = node.outstanding;
      // A node's model list changes only when it restarts (its /health fails meanwhile): read it
      // until known, after an unhealthy poll, and every MODELS_EVERY_POLLS polls, not every time.
      const readModels = node.servedModels === null || node.pollsSinceModels >= MODELS_EVERY_POLLS - 1;
      const [load, models] = await Promise.allSettled([
        readNodeLoad(endpoint, node.dispatcher, timeoutMs),
        readModels ? listModels(endpoint, node.dispatcher, timeoutMs) : Promise.resolve(null),
      ]);
      if (load.status === 'fulfilled') {
        node.load = load.value;
        // The mean of before and after: requests that ended or began while /metrics was read.
        node.outstandingAtPoll = (outstandingBefore + node.outstanding) / 2;
      } else {
        node.load = null;
        problem = `/metrics: ${(load.reason as Error).message}`;
      }
      if (models.status === 'fulfilled') {
        if (models.value) {
          node.servedModels = models.value;
          node.pollsSinceModels = 0;
        } else node.pollsSinceModels += 1;
      } else {
        // The last list read stays in force: a hiccup must not take the node off its model.
        problem = `/v1/models: ${(models.reason as Error).message}`;
      }
    } else {
      node.load = null;
      node.pollsSinceModels = MODELS_EVERY_POLLS; // read again once it is back
    }
    if (problem) node.fail(problem, 'poll');
    else node.recover('poll');
    this.report(node);
  }

  /**
   * A node for one request to `model`, waiting while every usable node is at its limit. Answers
   * `unavailable` at once when no node could take it (none serves the model, or all are down or
   * have open breakers): the caller falls back rather than waits for an outage to end.
   */
  async acquire(
    model: string,
    exclude: ReadonlySet<string> = new Set(),
    signal?: AbortSignal,
    /** Nodes to use only when no other usable node serves the model (a window's earlier tries). */
    avoid: ReadonlySet<string> = new Set(),
  ): Promise<AcquireResult> {
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const forModel = [...this.nodes.values()].filter(
        (node) => node.definition.state === 'ACTIVE' && node.serves(model),
      );
      if (forModel.length === 0) return { unavailable: 'no-node-serves-model' };
      const usable = forModel.filter(
        (node) => node.healthy !== false && node.breaker.available && !exclude.has(node.definition.name),
      );
      if (usable.length === 0) return { unavailable: 'all-nodes-down' };
      const fresh = usable.filter((node) => !avoid.has(node.definition.name));
      let best: PoolNode | null = null;
      for (const node of fresh.length > 0 ? fresh : usable) {
        if (node.outstanding >= node.limit) continue;
        if (!best || node.score < best.score) best = node;
      }
      if (best) return { lease: this.lease(best, model) };
      await this.waitForChange(signal);
    }
  }

  private lease(node: PoolNode, model: string): NodeLease {
    node.outstanding += 1;
    node.breaker.onSend();
    this.report(node);
    let released = false;
    return {
      name: node.definition.name,
      endpoint: node.endpoint,
      dispatcher: node.dispatcher,
      maxModelLen: node.maxModelLen(model),
      release: (outcome: NodeOutcome, error?: string) => {
        if (released) return;
        released = true;
        node.outstanding -= 1;
        if (error) node.fail(error, 'request');
        else if (outcome === 'success') node.recover('request');
        if (outcome === 'success') node.breaker.onSuccess();
        else if (outcome === 'failure') {
          const before = node.breaker.state;
          node.breaker.onFailure();
          if (before !== 'open' && node.breaker.state === 'open') {
            this.options.logger.warn({ node: node.definition.name }, 'node breaker opened');
          }
        } else node.breaker.onNeutral();
        if (node.removed && node.outstanding === 0) void node.dispatcher.close();
        this.report(node);
        this.wake();
      },
    };
  }

  private waitForChange(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      // Re-check now and then even without a release: an open breaker turns half-open with time.
      const timer = setTimeout(done, Math.min(1_000, this.options.breakerOpenMs));
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason ?? new Error('aborted'));
      };
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      this.waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Whether some node could take a request for `model` now (used to re-analyse degraded windows). */
  canServe(model: string): boolean {
    return [...this.nodes.values()].some(
      (node) =>
        node.definition.state === 'ACTIVE' &&
        node.serves(model) &&
        node.healthy !== false &&
        node.breaker.state !== 'open',
    );
  }

  get size(): number {
    return this.nodes.size;
  }

  status(): NodeStatus[] {
    return [...this.nodes.values()].map((node) => ({
      name: node.definition.name,
      url: node.definition.url,
      model: node.definition.model,
      source: node.definition.source,
      state: node.definition.state,
      weight: node.definition.weight,
      hasApiKey: node.definition.apiKey !== null,
      healthy: node.healthy,
      breaker: node.breaker.state,
      outstanding: node.outstanding,
      maxConcurrency: node.definition.maxConcurrency,
      running: node.load?.running ?? null,
      waiting: node.load?.waiting ?? null,
      kvCacheUsage: node.load?.kvCacheUsage ?? null,
      servedModels: (node.servedModels ?? []).map((served) => served.id),
      maxModelLens: Object.fromEntries(
        (node.servedModels ?? []).flatMap((served) =>
          served.maxModelLen === null ? [] : [[served.id, served.maxModelLen]],
        ),
      ),
      lastError: node.lastError,
      lastErrorAt: node.lastErrorAt?.toISOString() ?? null,
    }));
  }

  private report(node: PoolNode): void {
    this.options.metrics?.recordNode(node.definition.name, {
      outstanding: node.outstanding,
      waiting: node.load?.waiting ?? 0,
      breaker: node.breaker.state,
      healthy: node.healthy !== false,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    await this.polling;
    this.wake();
    await Promise.allSettled([...this.nodes.values()].map((node) => node.dispatcher.close()));
  }
}
