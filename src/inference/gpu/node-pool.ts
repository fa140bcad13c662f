import { Agent } from 'undici';
import type { Logger } from 'pino';
import type { InferenceMetrics } from '../inference-metrics';
import { BreakerState, CircuitBreaker } from './circuit-breaker';
import type { NodeDefinition } from '../../config/node-definition';
import { checkHealth, listModels, NodeEndpoint, NodeLoad, readNodeLoad } from './vllm-client';

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
  healthy: boolean | null;
  breaker: BreakerState;
  outstanding: number;
  maxConcurrency: number;
  /** From the node's /metrics: every client's requests, not only this worker's. */
  running: number | null;
  waiting: number | null;
  kvCacheUsage: number | null;
  servedModels: string[];
  lastError: string | null;
}

export type NodeOutcome = 'success' | 'failure' | 'neutral';

export interface NodeLease {
  readonly name: string;
  readonly endpoint: NodeEndpoint;
  readonly dispatcher: Agent;
  /** Must be called exactly once. 'failure' counts against the node's breaker. */
  release(outcome: NodeOutcome): void;
}

export type AcquireResult =
  | { lease: NodeLease }
  /** No node can take the request now or soon: fall back instead of waiting. */
  | { unavailable: 'no-node-serves-model' | 'all-nodes-down' };

class PoolNode {
  readonly breaker: CircuitBreaker;
  readonly dispatcher: Agent;
  outstanding = 0;
  healthy: boolean | null = null;
  load: NodeLoad | null = null;
  /** Our own outstanding requests when `load` was read: the rest of the load is other workers'. */
  outstandingAtPoll = 0;
  servedModels: string[] = [];
  lastError: string | null = null;
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

  /**
   * How many requests this worker may have in flight: the node's concurrency less what other
   * workers already keep it busy with, so that several workers together still fill the node's
   * slots without building a queue in it. At least one, so no worker is shut out for good.
   */
  get limit(): number {
    return Math.max(1, this.definition.maxConcurrency - this.othersLoad);
  }

  serves(model: string): boolean {
    return this.definition.model === model || this.servedModels.includes(model);
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
    try {
      node.healthy = await checkHealth(endpoint, node.dispatcher, timeoutMs);
      if (!node.healthy) node.lastError = '/health did not answer 200';
    } catch (error) {
      node.healthy = false;
      node.lastError = `/health: ${(error as Error).message}`;
    }
    if (node.healthy) {
      const outstandingBefore = node.outstanding;
      const [load, models] = await Promise.allSettled([
        readNodeLoad(endpoint, node.dispatcher, timeoutMs),
        listModels(endpoint, node.dispatcher, timeoutMs),
      ]);
      if (load.status === 'fulfilled') {
        node.load = load.value;
        // The mean of before and after: requests that ended or began while /metrics was read.
        node.outstandingAtPoll = (outstandingBefore + node.outstanding) / 2;
      } else {
        node.load = null;
      }
      if (models.status === 'fulfilled') {
        node.servedModels = models.value.map((model) => model.id);
        node.lastError = null;
      } else {
        node.lastError = `/v1/models: ${(models.reason as Error).message}`;
      }
    } else {
      node.load = null;
    }
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
      let best: PoolNode | null = null;
      for (const node of usable) {
        if (node.outstanding >= node.limit) continue;
        if (!best || node.score < best.score) best = node;
      }
      if (best) return { lease: this.lease(best) };
      await this.waitForChange(signal);
    }
  }

  private lease(node: PoolNode): NodeLease {
    node.outstanding += 1;
    node.breaker.onSend();
    this.report(node);
    let released = false;
    return {
      name: node.definition.name,
      endpoint: node.endpoint,
      dispatcher: node.dispatcher,
      release: (outcome: NodeOutcome) => {
        if (released) return;
        released = true;
        node.outstanding -= 1;
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
      healthy: node.healthy,
      breaker: node.breaker.state,
      outstanding: node.outstanding,
      maxConcurrency: node.definition.maxConcurrency,
      running: node.load?.running ?? null,
      waiting: node.load?.waiting ?? null,
      kvCacheUsage: node.load?.kvCacheUsage ?? null,
      servedModels: node.servedModels,
      lastError: node.lastError,
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
