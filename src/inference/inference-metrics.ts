import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState } from './gpu/circuit-breaker';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Prometheus metrics of the analysis worker: metering per tenant and stream, and the state of
 * every GPU node as this worker sees it. Served on the worker's /metrics.
 */
/** What a window sent to the GPU and what the GPU spent on it. */
export interface GpuSpend {
  framesSent?: number;
  visionTokens?: number;
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
  /** Of promptTokens + completionTokens, those estimated because a node did not report them. */
  estimatedTokens?: number;
  gpuMs?: number;
}

export class InferenceMetrics {
  readonly windows: Counter<'tenant' | 'stream' | 'outcome' | 'mode'>;
  readonly framesSent: Counter<'tenant' | 'stream'>;
  readonly visionTokens: Counter<'tenant' | 'stream'>;
  readonly promptTokens: Counter<'tenant' | 'stream'>;
  readonly completionTokens: Counter<'tenant' | 'stream'>;
  readonly reasoningTokens: Counter<'tenant' | 'stream'>;
  readonly gpuSeconds: Counter<'tenant' | 'stream'>;
  readonly requestDuration: Histogram<'node' | 'outcome'>;
  readonly localDuration: Histogram;
  private readonly nodeOutstanding: Gauge<'node'>;
  private readonly nodeWaiting: Gauge<'node'>;
  private readonly nodeBreaker: Gauge<'node'>;
  private readonly nodeHealthy: Gauge<'node'>;
  private readonly nodeGauges: Gauge<'node'>[];
  private readonly reportedNodes = new Set<string>();

  constructor(readonly registry: Registry) {
    const registers = [registry];
    const perStream = ['tenant', 'stream'] as const;
    this.windows = new Counter({
      name: 'vigil_analysis_windows_total',
      help: 'Windows finished by the analysis worker, by outcome (done, gated, failed, degraded) and mode',
      labelNames: ['tenant', 'stream', 'outcome', 'mode'] as const,
      registers,
    });
    this.framesSent = new Counter({
      name: 'vigil_analysis_frames_sent_total',
      help: 'Frames sent to GPU nodes',
      labelNames: perStream,
      registers,
    });
    this.visionTokens = new Counter({
      name: 'vigil_analysis_vision_tokens_total',
      help: 'Image tokens sent to GPU nodes (32 px per token side, +2 per image)',
      labelNames: perStream,
      registers,
    });
    this.promptTokens = new Counter({
      name: 'vigil_analysis_prompt_tokens_total',
      help: 'Prompt tokens reported by GPU nodes',
      labelNames: perStream,
      registers,
    });
    this.completionTokens = new Counter({
      name: 'vigil_analysis_completion_tokens_total',
      help: 'Completion tokens (reasoning included) reported by GPU nodes',
      labelNames: perStream,
      registers,
    });
    this.reasoningTokens = new Counter({
      name: 'vigil_analysis_reasoning_tokens_total',
      help: 'Reasoning tokens',
      labelNames: perStream,
      registers,
    });
    this.gpuSeconds = new Counter({
      name: 'vigil_analysis_gpu_seconds_total',
      help: 'Seconds GPU nodes spent on requests (wall time of each request)',
      labelNames: perStream,
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'vigil_inference_request_duration_seconds',
      help: 'Latency of requests to GPU nodes, by node and outcome',
      labelNames: ['node', 'outcome'] as const,
      buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 240],
      registers,
    });
    this.localDuration = new Histogram({
      name: 'vigil_local_analysis_duration_seconds',
      help: 'Time the local CPU detector takes per window',
      buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
      registers,
    });
    const gauge = (name: string, help: string): Gauge<'node'> =>
      new Gauge({ name, help, labelNames: ['node'] as const, registers });
    this.nodeOutstanding = gauge(
      'vigil_inference_node_outstanding',
      'Requests this worker has in flight per node',
    );
    this.nodeWaiting = gauge(
      'vigil_inference_node_waiting',
      "The node's own waiting queue (vllm:num_requests_waiting)",
    );
    this.nodeBreaker = gauge(
      'vigil_inference_node_breaker_state',
      'Circuit breaker: 0 closed, 1 half-open, 2 open',
    );
    this.nodeHealthy = gauge('vigil_inference_node_healthy', '1 when /health answered 200 at the last poll');
    this.nodeGauges = [this.nodeOutstanding, this.nodeWaiting, this.nodeBreaker, this.nodeHealthy];
  }

  recordNode(
    node: string,
    state: { outstanding: number; waiting: number; breaker: BreakerState; healthy: boolean },
  ): void {
    this.reportedNodes.add(node);
    this.nodeOutstanding.set({ node }, state.outstanding);
    this.nodeWaiting.set({ node }, state.waiting);
    this.nodeBreaker.set({ node }, BREAKER_VALUE[state.breaker]);
    this.nodeHealthy.set({ node }, state.healthy ? 1 : 0);
  }

  /** Removed nodes stop being reported. */
  forgetNodesExcept(names: readonly string[]): void {
    for (const node of this.reportedNodes) {
      if (names.includes(node)) continue;
      for (const gauge of this.nodeGauges) gauge.remove({ node });
      this.reportedNodes.delete(node);
    }
  }

  /** One finished window: its outcome, and what it sent to and got from the GPU. */
  countWindow(tenantId: string, streamId: string, outcome: string, mode: string, sent: GpuSpend): void {
    const labels = { tenant: tenantId, stream: streamId };
    this.windows.inc({ ...labels, outcome: outcome.toLowerCase(), mode: mode.toLowerCase() });
    this.framesSent.inc(labels, sent.framesSent ?? 0);
    this.visionTokens.inc(labels, sent.visionTokens ?? 0);
    this.promptTokens.inc(labels, sent.promptTokens ?? 0);
    this.completionTokens.inc(labels, sent.completionTokens ?? 0);
    this.reasoningTokens.inc(labels, sent.reasoningTokens ?? 0);
    this.gpuSeconds.inc(labels, (sent.gpuMs ?? 0) / 1000);
  }
}
