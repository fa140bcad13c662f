import type { InferenceMetrics } from '../inference-metrics';
import type { NodePool } from './node-pool';
import {
  CAP_FINISH_REASONS,
  chatBodyJson,
  ChatOutcome,
  ChatRequestSpec,
  InferenceError,
  OutputCaps,
  streamChatCompletion,
} from './vllm-client';
import {
  type BudgetOverride,
  estimatePromptTokens,
  fitBudget,
  type FittedBudget,
  promptTokensUpperBound,
} from './window-prompt';

export interface VlmUsage {
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  /** Wall time of every request that reached a node, failed ones included: GPU time spent. */
  gpuMs: number;
  /**
   * Of promptTokens + completionTokens, those Vigil estimated (a node answered without a usage
   * chunk, or failed mid-answer): image tokens exactly, text at about four characters a token.
   */
  estimatedTokens: number;
}

interface Common {
  /** Requests sent to nodes: retries on other nodes and the retry with a larger budget included. */
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
  /** The most reasoning and answer kept of one request; past them the request is stopped. */
  caps?: OutputCaps;
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
  outcome: Pick<ChatOutcome, 'content' | 'finishReason' | 'thinkingInContent'>,
  budget: number,
  validate: VlmOptions['validate'],
): { value: unknown; problem: null } | { value: null; problem: string } {
  const { content, finishReason } = outcome;
  if (finishReason === 'length') {
    return {
      value: null,
      problem:
        content === null
          ? `the model ran out of tokens while thinking (finish_reason length after ${budget} tokens, no answer)`
          : `the answer was cut off (finish_reason length after ${budget} tokens)`,
    };
  }
  // Without a reasoning parser the thinking arrives in the answer; the client separates it.
  const parserNote = outcome.thinkingInContent
    ? ' (the node runs without a reasoning parser: its thinking came inside the answer and was separated from it)'
    : '';
  if (content === null || content.trim() === '') {
    return { value: null, problem: `the model gave no answer${parserNote}` };
  }
  if (/<\/?think>/.test(content)) {
    return {
      value: null,
      problem:
        'the answer holds the model’s thinking (<think>…</think> in content): the node runs without a ' +
        'reasoning parser; start vLLM with --reasoning-parser qwen3',
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return {
      value: null,
      problem: `the answer is not JSON${parserNote}: ${JSON.stringify(content.slice(0, 120))}`,
    };
  }
  const invalid = validate(value);
  if (invalid) return { value: null, problem: `the answer does not match the template's schema: ${invalid}` };
  return { value, problem: null };
}

/** A retry with a larger budget is worth its GPU time only with at least this much more. */
const MIN_RETRY_GROWTH = 1.5;

/** Why an answer stopped at a cap, naming the setting. */
function capReason(part: keyof typeof CAP_FINISH_REASONS, caps: OutputCaps | undefined): string {
  const [what, setting, limit] =
    part === 'reasoning'
      ? ['reasoning', 'INFERENCE_MAX_REASONING_CHARS', caps?.reasoningChars]
      : ['answer', 'INFERENCE_MAX_ANSWER_CHARS', caps?.contentChars];
  return (
    `the model's ${what} passed the cap of ${limit} characters (${setting}): the request was stopped ` +
    `and only the first ${limit} characters kept`
  );
}

/** "…, the most node X's context of N tokens leaves after a prompt of P" when the context limited it. */
function contextNote(node: string, fitted: FittedBudget): string {
  return fitted.limitedBy
    ? `, the most ${node}'s context (max_model_len ${fitted.limitedBy.maxModelLen}) leaves after a prompt of about ${fitted.limitedBy.promptTokens} tokens`
    : '';
}

/**
 * Analyses one window on the node pool. A node that fails (5xx, timeout, refused connection,
 * garbage, a stream cut short) is left out for this window and the request goes to another with
 * backoff; a 400 is final, with what to change; an answer cut short or not valid JSON gets one
 * more try with twice the token budget (as much as fits the node's context), preferably on another
 * node, then fails with the first cause; an answer past a cap fails at once. Never invents or
 * patches a result.
 */
export async function analyseOnNodes(
  pool: NodePool,
  buildSpec: (budget?: BudgetOverride) => ChatRequestSpec,
  options: VlmOptions,
): Promise<VlmOutcome> {
  const usage: VlmUsage = {
    promptTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    gpuMs: 0,
    estimatedTokens: 0,
  };
  /** Nodes that failed this window: not asked again for it. */
  const failedNodes = new Set<string>();
  /** Nodes that answered it: a retry goes elsewhere when another node can serve. */
  const answeredBy = new Set<string>();
  const nodeErrors: string[] = [];
  let spec = buildSpec();
  /** Set once an answer was unusable: the one retry with a larger budget is under way. */
  let firstProblem: { problem: string; budget: number } | null = null;
  /** The prompt's real length, once a node has reported it (the same prompt every time). */
  let knownPromptTokens: number | null = null;
  let nodeFailures = 0;
  let attempts = 0;
  let last: Omit<Common, 'attempts' | 'usage'> = {
    reasoning: '',
    node: null,
    model: null,
    finishReason: null,
    latencyMs: 0,
  };
  const common = (): Common => ({ ...last, attempts, usage });
  /** Tokens of one request: as the node reported them, else estimated from what it streamed. */
  const addUsage = (
    sent: ChatRequestSpec,
    outcome: Pick<ChatOutcome, 'usage' | 'reasoning'>,
    chars: number,
  ) => {
    const reported = outcome.usage;
    if (reported) {
      usage.promptTokens += reported.promptTokens;
      usage.completionTokens += reported.completionTokens;
      // Older servers do not report reasoning tokens: estimate them from the text (~4 chars a token).
      usage.reasoningTokens += reported.reasoningTokens ?? Math.round(outcome.reasoning.length / 4);
      return;
    }
    const prompt = knownPromptTokens ?? estimatePromptTokens(sent);
    const completion = Math.ceil(chars / 4);
    usage.estimatedTokens += prompt + completion;
    usage.promptTokens += prompt;
    usage.completionTokens += completion;
    usage.reasoningTokens += Math.ceil(outcome.reasoning.length / 4);
  };

  while (nodeFailures < options.maxAttempts) {
    if (options.signal?.aborted) break;
    const acquired = await pool.acquire(spec.model, failedNodes, options.signal, answeredBy);
    if ('unavailable' in acquired) {
      const reason =
        acquired.unavailable === 'no-node-serves-model'
          ? `no GPU node serves the model "${spec.model}"`
          : 'every GPU node is down or has an open circuit breaker';
      const details = [...nodeErrors, ...(firstProblem ? [`the first answer: ${firstProblem.problem}`] : [])];
      return {
        kind: 'unavailable',
        reason: details.length ? `${reason} (${details.join('; ')})` : reason,
        ...common(),
      };
    }
    const { lease } = acquired;
    const fitted = fitBudget(
      { maxCompletionTokens: spec.maxCompletionTokens, thinkingTokenBudget: spec.thinkingTokenBudget },
      lease.maxModelLen,
      knownPromptTokens ?? promptTokensUpperBound(spec),
    );
    if (firstProblem && fitted.maxCompletionTokens < firstProblem.budget * MIN_RETRY_GROWTH) {
      // A budget worth retrying with does not fit this node's context: the first problem is the cause.
      lease.release('neutral');
      return {
        kind: 'failed',
        reason:
          `${firstProblem.problem}; a larger budget does not fit ${lease.name}'s context (max_model_len ` +
          `${lease.maxModelLen}, prompt about ${fitted.limitedBy?.promptTokens} tokens)`,
        ...common(),
      };
    }
    const sent: ChatRequestSpec = {
      ...spec,
      maxCompletionTokens: fitted.maxCompletionTokens,
      thinkingTokenBudget: fitted.thinkingTokenBudget,
    };
    attempts += 1;
    options.onAttempt?.(attempts, lease.name);
    const started = performance.now();
    try {
      const outcome = await streamChatCompletion(lease.endpoint, chatBodyJson(sent), {
        dispatcher: lease.dispatcher,
        requestTimeoutMs: options.requestTimeoutMs,
        idleTimeoutMs: options.idleTimeoutMs,
        signal: options.signal,
        onReasoning: options.onReasoning,
        caps: options.caps,
      });
      lease.release('success');
      options.metrics?.requestDuration.observe({ node: lease.name, outcome: 'ok' }, outcome.latencyMs / 1000);
      usage.gpuMs += outcome.latencyMs;
      addUsage(sent, outcome, outcome.reasoning.length + (outcome.content?.length ?? 0));
      if (outcome.usage) knownPromptTokens = outcome.usage.promptTokens;
      answeredBy.add(lease.name);
      last = {
        reasoning: outcome.reasoning,
        node: lease.name,
        model: outcome.model,
        finishReason: outcome.finishReason,
        latencyMs: outcome.latencyMs,
      };
      if (outcome.capped)
        return { kind: 'failed', reason: capReason(outcome.capped, options.caps), ...common() };
      const answer = parseAnswer(outcome, sent.maxCompletionTokens, options.validate);
      if (answer.problem === null) return { kind: 'done', result: answer.value, ...common() };
      if (firstProblem) {
        return {
          kind: 'failed',
          reason:
            `${firstProblem.problem}; again with ${sent.maxCompletionTokens} tokens` +
            `${contextNote(lease.name, fitted)}: ${answer.problem}`,
          ...common(),
        };
      }
      // Once more with twice the budget: thinking that ran long is the usual cause. It does not
      // count against the node attempts.
      firstProblem = { problem: answer.problem, budget: sent.maxCompletionTokens };
      spec = buildSpec({
        maxCompletionTokens: sent.maxCompletionTokens * 2,
        thinkingTokenBudget: (sent.thinkingTokenBudget ?? sent.maxCompletionTokens) * 2,
      });
      continue;
    } catch (error) {
      const elapsed = performance.now() - started;
      const failure =
        error instanceof InferenceError ? error : new InferenceError('connection', (error as Error).message);
      options.metrics?.requestDuration.observe({ node: lease.name, outcome: failure.kind }, elapsed / 1000);
      // A node that failed mid-answer still spent the prompt and what it streamed.
      if (failure.streamedChars !== null)
        addUsage(sent, { usage: null, reasoning: '' }, failure.streamedChars);
      if (failure.kind === 'bad-request') {
        lease.release('neutral');
        last = { ...last, node: lease.name, latencyMs: elapsed };
        const reason =
          firstProblem && /context length|maximum context/i.test(failure.message)
            ? `${firstProblem.problem}; the retry with ${sent.maxCompletionTokens} tokens does not fit the model's context (${failure.message})`
            : explainBadRequest(failure.message);
        return { kind: 'failed', reason, ...common() };
      }
      lease.release(
        failure.nodeFault ? 'failure' : 'neutral',
        failure.nodeFault ? failure.message : undefined,
      );
      usage.gpuMs += elapsed;
      failedNodes.add(lease.name);
      nodeErrors.push(`${lease.name}: ${failure.message}`);
      last = { ...last, node: lease.name, latencyMs: elapsed };
      nodeFailures += 1;
      const base = options.backoffMs ?? 200;
      await sleep(Math.random() * base * 2 ** (nodeFailures - 1), options.signal);
    }
  }
  return {
    kind: 'failed',
    reason: `no node answered after ${nodeFailures} attempts (${nodeErrors.join('; ') || 'aborted'})`,
    ...common(),
  };
}
