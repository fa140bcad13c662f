import type { InferenceMetrics } from '../inference-metrics';
import type { NodePool } from './node-pool';
import {
  chatBodyJson,
  ChatRequestSpec,
  InferenceError,
  streamChatCompletion,
  TokenUsage,
} from './vllm-client';
import type { BudgetOverride } from './window-prompt';

export interface VlmUsage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Wall time of every request that reached a node, failed ones included: GPU time spent. */
  gpuMs: number;
}

interface Common {
  attempts: number;
  usage: VlmUsage;
  reasoning: string;
  node: string | null;
  model: string | null;
  finishReason: string | null;
  latencyMs: number;
}

export type VlmOutcome =
  | (Common & { kind: 'done'; result: unknown })
  /** A final answer about this window: it will not get better by trying again. */
  | (Common & { kind: 'failed'; reason: string })
  /** No node could take the window (none serves the model, all down): fall back to local. */
  | (Common & { kind: 'unavailable'; reason: string });

export interface VlmOptions {
  maxAttempts: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  /** First retry delay; doubled each time, with full jitter. */
  backoffMs?: number;
  /** Returns a problem description, or null when the value satisfies the template's schema. */
  validate: (value: unknown) => string | null;
  onAttempt?: (attempt: number, node: string) => void;
  onReasoning?: (delta: string) => void;
  metrics?: InferenceMetrics;
  signal?: AbortSignal;
}

/** What a tenant should change, for each kind of 400 vLLM gives (docs/gpu-node-contract.md, "Errors"). */
export function explainBadRequest(message: string): string {
  if (/context length|maximum context/i.test(message)) {
    return (
      `the window does not fit the model's context (${message}). Lower the stream's windowSize or ` +
      "maxWidth, or the template's maxCompletionTokens"
    );
  }
  const images = /At most (\d+) image/i.exec(message);
  if (images) {
    return `the node accepts at most ${images[1]} images per request (${message}). Lower the stream's windowSize to ${images[1]} or less`;
  }
  if (/schema/i.test(message)) {
    return `the node refused the template's result schema (${message}). Fix the schema in a new template version`;
  }
  return `the node refused the request (${message})`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/** Reasons the answer is not a usable result, or null with the parsed value. */
function parseAnswer(
  content: string | null,
  finishReason: string | null,
  validate: VlmOptions['validate'],
): { value: unknown; problem: null } | { value: null; problem: string } {
  if (finishReason === 'length') {
    return {
      value: null,
      problem:
        content === null
          ? 'the model ran out of tokens while thinking (finish_reason length, no answer)'
          : 'the answer was cut off (finish_reason length)',
    };
  }
  if (content === null || content.trim() === '') return { value: null, problem: 'the model gave no answer' };
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { value: null, problem: `the answer is not JSON: ${JSON.stringify(content.slice(0, 120))}` };
  }
  const invalid = validate(value);
  if (invalid) return { value: null, problem: `the answer does not match the template's schema: ${invalid}` };
  return { value, problem: null };
}

/**
 * Analyses one window on the node pool. A node that fails (5xx, timeout, refused connection,
 * garbage, a stream cut short) is left out for this window and the request goes to another with
 * backoff; a 400 is final, with what to change; an answer cut short or not valid JSON gets one
 * more try with twice the token budget, then fails. Never invents or patches a result.
 */
export async function analyseOnNodes(
  pool: NodePool,
  buildSpec: (budget?: BudgetOverride) => ChatRequestSpec,
  options: VlmOptions,
): Promise<VlmOutcome> {
  const usage: VlmUsage = { promptTokens: 0, completionTokens: 0, reasoningTokens: 0, gpuMs: 0 };
  const failedNodes = new Set<string>();
  const nodeErrors: string[] = [];
  let spec = buildSpec();
  let budgetRetried = false;
  let attempts = 0;
  let last: Omit<Common, 'attempts' | 'usage'> = {
    reasoning: '',
    node: null,
    model: null,
    finishReason: null,
    latencyMs: 0,
  };
  const common = (): Common => ({ ...last, attempts, usage });
  const addUsage = (reported: TokenUsage | null, reasoning: string): void => {
    if (!reported) return;
    usage.promptTokens += reported.promptTokens;
    usage.completionTokens += reported.completionTokens;
    // Older servers do not report reasoning tokens: estimate them from the text (~4 chars a token).
    usage.reasoningTokens += reported.reasoningTokens ?? Math.round(reasoning.length / 4);
  };

  while (attempts < options.maxAttempts) {
    if (options.signal?.aborted) break;
    const acquired = await pool.acquire(spec.model, failedNodes, options.signal);
    if ('unavailable' in acquired) {
      const reason =
        acquired.unavailable === 'no-node-serves-model'
          ? `no GPU node serves the model "${spec.model}"`
          : 'every GPU node is down or has an open circuit breaker';
      return {
        kind: 'unavailable',
        reason: nodeErrors.length ? `${reason} (${nodeErrors.join('; ')})` : reason,
        ...common(),
      };
    }
    const { lease } = acquired;
    attempts += 1;
    options.onAttempt?.(attempts, lease.name);
    const started = performance.now();
    try {
      const outcome = await streamChatCompletion(lease.endpoint, chatBodyJson(spec), {
        dispatcher: lease.dispatcher,
        requestTimeoutMs: options.requestTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
        signal: options.signal,
        onReasoning: options.onReasoning,
      });
      lease.release('success');
      options.metrics?.requestDuration.observe({ node: lease.name, outcome: 'ok' }, outcome.latencyMs / 1000);
      usage.gpuMs += outcome.latencyMs;
      addUsage(outcome.usage, outcome.reasoning);
      last = {
        reasoning: outcome.reasoning,
        node: lease.name,
        model: outcome.model,
        finishReason: outcome.finishReason,
        latencyMs: outcome.latencyMs,
      };
      const answer = parseAnswer(outcome.content, outcome.finishReason, options.validate);
      if (answer.problem === null) return { kind: 'done', result: answer.value, ...common() };
      if (budgetRetried) return { kind: 'failed', reason: answer.problem, ...common() };
      // Once more with twice the budget: thinking that ran long is the usual cause.
      budgetRetried = true;
      spec = buildSpec({
        maxCompletionTokens: spec.maxCompletionTokens * 2,
        thinkingTokenBudget: (spec.thinkingTokenBudget ?? spec.maxCompletionTokens) * 2,
      });
      // A retry for the budget does not count against the node attempts.
      attempts -= 1;
      continue;
    } catch (error) {
      const elapsed = performance.now() - started;
      const failure =
        error instanceof InferenceError ? error : new InferenceError('connection', (error as Error).message);
      options.metrics?.requestDuration.observe({ node: lease.name, outcome: failure.kind }, elapsed / 1000);
      if (failure.kind === 'bad-request') {
        lease.release('neutral');
        last = { ...last, node: lease.name, latencyMs: elapsed };
        return { kind: 'failed', reason: explainBadRequest(failure.message), ...common() };
      }
      lease.release(failure.nodeFault ? 'failure' : 'neutral');
      usage.gpuMs += elapsed;
      failedNodes.add(lease.name);
      nodeErrors.push(`${lease.name}: ${failure.message}`);
      last = { ...last, node: lease.name, latencyMs: elapsed };
      const base = options.backoffMs ?? 200;
      await sleep(Math.random() * base * 2 ** (attempts - 1), options.signal);
    }
  }
  return {
    kind: 'failed',
    reason: `no node answered after ${attempts} attempts (${nodeErrors.join('; ') || 'aborted'})`,
    ...common(),
  };
}
