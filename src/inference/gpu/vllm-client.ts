import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, errors as undiciErrors, request } from 'undici';

/**
 * The only module that speaks to GPU nodes (vLLM's OpenAI-compatible server; its wire contract is
 * docs/gpu-node-contract.md). Everything else sees typed outcomes and typed errors.
 */

export interface NodeEndpoint {
  name: string;
  /** Base URL without /v1, e.g. http://gpu-1:8000 */
  url: string;
  apiKey: string | null;
}

export interface SamplingParameters {
  temperature: number;
  topP: number;
  topK: number;
  presencePenalty: number;
}

export interface ChatRequestSpec {
  model: string;
  /** Fixed text: the same bytes for every window of a template version, so the prefix cache hits. */
  systemText: string;
  /** The template's instruction, rendered with per-stream values only; also before the images. */
  instructionText: string;
  /** JPEG frames, in capture order. */
  images: readonly Buffer[];
  /** Per-window text (stream, capture times, tenant policy): after the images. */
  windowText: string;
  schemaName: string;
  schema: object;
  sampling: SamplingParameters;
  maxCompletionTokens: number;
  /** Caps thinking on Thinking checkpoints; null for Instruct models, which never think. */
  thinkingTokenBudget: number | null;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Only newer servers report it (completion_tokens_details.reasoning_tokens). */
  reasoningTokens: number | null;
}

export interface ChatOutcome {
  content: string | null;
  reasoning: string;
  finishReason: string | null;
  usage: TokenUsage | null;
  model: string | null;
  latencyMs: number;
}

export type InferenceErrorKind =
  /** 400: context length, too many images, bad schema: the request itself must change. */
  | 'bad-request'
  | 'unauthorized'
  | 'not-found'
  | 'server-error'
  | 'timeout'
  | 'connection'
  /** The node answered something that is not the contract (garbage, a stream cut short). */
  | 'protocol';

export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  constructor(
    readonly kind: InferenceErrorKind,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }

  /** Worth trying again, on another node: the node or the network failed, not the request. */
  get retryable(): boolean {
    return (
      this.kind === 'server-error' ||
      this.kind === 'timeout' ||
      this.kind === 'connection' ||
      this.kind === 'protocol'
    );
  }

  /** Counts against the node's circuit breaker. A 400 is the request's fault, not the node's. */
  get nodeFault(): boolean {
    return this.retryable || this.kind === 'unauthorized' || this.kind === 'not-found';
  }
}

export interface CallOptions {
  dispatcher: Agent;
  /** Whole request, thinking included. */
  requestTimeoutMs: number;
  /** Longest silence between two chunks of the answer (a hung node). */
  idleTimeoutMs: number;
  signal?: AbortSignal;
  /** Each piece of reasoning as it arrives. */
  onReasoning?: (delta: string) => void;
}

/** The request body, exactly as the contract wants it: every sampling parameter explicit. */
export function buildChatBody(spec: ChatRequestSpec, imageUrls?: readonly string[]): Record<string, unknown> {
  const urls = imageUrls ?? spec.images.map((jpeg) => `data:image/jpeg;base64,${jpeg.toString('base64')}`);
  const body: Record<string, unknown> = {
    model: spec.model,
    messages: [
      { role: 'system', content: spec.systemText },
      {
        role: 'user',
        content: [
          { type: 'text', text: spec.instructionText },
          ...urls.map((url) => ({ type: 'image_url', image_url: { url } })),
          { type: 'text', text: spec.windowText },
        ],
      },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: spec.schemaName, schema: spec.schema, strict: true },
    },
    temperature: spec.sampling.temperature,
    top_p: spec.sampling.topP,
    top_k: spec.sampling.topK,
    presence_penalty: spec.sampling.presencePenalty,
    max_completion_tokens: spec.maxCompletionTokens,
    stream: true,
    stream_options: { include_usage: true },
  };
  if (spec.thinkingTokenBudget !== null) body.thinking_token_budget = spec.thinkingTokenBudget;
  return body;
}

/**
 * The request body as UTF-8 JSON bytes: the same as JSON.stringify(buildChatBody(spec)), but the
 * base64 of the frames (most of the bytes, a few hundred kilobytes per window) is spliced in as
 * bytes instead of going through JSON.stringify's escaping scan and a UTF-8 re-encoding: base64
 * needs neither.
 */
export function chatBodyJson(spec: ChatRequestSpec): Buffer {
  const markers = spec.images.map((_, index) => `\u0000vigil-image-${index}\u0000`);
  let rest = JSON.stringify(buildChatBody({ ...spec, images: [] }, markers));
  const parts: Buffer[] = [];
  for (const [index, jpeg] of spec.images.entries()) {
    const marker = JSON.stringify(markers[index]!);
    const at = rest.indexOf(marker);
    parts.push(
      Buffer.from(rest.slice(0, at)),
      Buffer.from('"data:image/jpeg;base64,'),
      Buffer.from(jpeg.toString('base64'), 'latin1'),
      Buffer.from('"'),
    );
    rest = rest.slice(at + marker.length);
  }
  parts.push(Buffer.from(rest));
  return Buffer.concat(parts);
}

function headers(endpoint: NodeEndpoint): Record<string, string> {
  const result: Record<string, string> = { 'content-type': 'application/json' };
  if (endpoint.apiKey) result.authorization = `Bearer ${endpoint.apiKey}`;
  return result;
}

function endpointUrl(endpoint: NodeEndpoint, path: string): string {
  return endpoint.url.replace(/\/+$/, '') + path;
}

/** vLLM's error body is {"error":{message,…}}, except 401, which is {"error":"Unauthorized"}. */
function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const error = parsed.error;
    if (typeof error === 'string') return error;
    if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
      return (error as { message: string }).message;
    }
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 500) || '(empty body)';
}

function errorForStatus(status: number, text: string): InferenceError {
  const message = errorMessage(text);
  if (status === 400) return new InferenceError('bad-request', message, status);
  if (status === 401 || status === 403) return new InferenceError('unauthorized', message, status);
  if (status === 404) return new InferenceError('not-found', message, status);
  if (status >= 500) return new InferenceError('server-error', `HTTP ${status}: ${message}`, status);
  return new InferenceError('protocol', `unexpected HTTP ${status}: ${message}`, status);
}

function translateError(error: unknown, timedOut: boolean): InferenceError {
  if (error instanceof InferenceError) return error;
  if (timedOut) return new InferenceError('timeout', 'the node did not finish within the request timeout');
  if (error instanceof undiciErrors.BodyTimeoutError || error instanceof undiciErrors.HeadersTimeoutError) {
    return new InferenceError('timeout', 'the node went silent (idle timeout)');
  }
  const code = (error as { code?: string } | null)?.code ?? '';
  if (/ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EHOSTUNREACH|UND_ERR_SOCKET|UND_ERR_CLOSED/.test(code)) {
    return new InferenceError('connection', `connection failed (${code})`);
  }
  if ((error as Error | null)?.name === 'AbortError') {
    return new InferenceError('timeout', 'the request was aborted');
  }
  return new InferenceError('connection', (error as Error)?.message ?? String(error));
}

interface StreamChunk {
  error?: unknown;
  model?: string;
  choices?: {
    delta?: { content?: string | null; reasoning?: string | null; reasoning_content?: string | null };
    finish_reason?: string | null;
  }[];
  usage?: {
    prompt_tokens?: number;
    completion_tokens?: number;
    completion_tokens_details?: { reasoning_tokens?: number } | null;
  } | null;
}

/**
 * POST /v1/chat/completions with stream: true. Reasoning deltas go to `onReasoning` as they
 * arrive; the answer comes back whole. Throws InferenceError for every failure, so callers need
 * no knowledge of HTTP.
 */
export async function streamChatCompletion(
  endpoint: NodeEndpoint,
  body: Record<string, unknown> | string | Buffer,
  options: CallOptions,
): Promise<ChatOutcome> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(options.requestTimeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  try {
    const response = await request(endpointUrl(endpoint, '/v1/chat/completions'), {
      method: 'POST',
      headers: headers(endpoint),
      body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
      dispatcher: options.dispatcher,
      signal,
      headersTimeout: options.idleTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
    });
    if (response.statusCode !== 200) {
      throw errorForStatus(response.statusCode, await response.body.text());
    }
    let content = '';
    let sawContent = false;
    let reasoning = '';
    let finishReason: string | null = null;
    let usage: TokenUsage | null = null;
    let model: string | null = null;
    let done = false;
    let streamError: InferenceError | null = null;
    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (done || streamError) return;
        if (event.data === '[DONE]') {
          done = true;
          return;
        }
        let chunk: StreamChunk;
        try {
          chunk = JSON.parse(event.data) as StreamChunk;
        } catch {
          streamError = new InferenceError('protocol', 'the node sent a stream chunk that is not JSON');
          return;
        }
        if (chunk.error) {
          // An error after the stream started arrives as a chunk, the status being 200 already.
          streamError = new InferenceError(
            'server-error',
            `error during the stream: ${errorMessage(JSON.stringify(chunk))}`,
          );
          return;
        }
        model ??= chunk.model ?? null;
        for (const choice of chunk.choices ?? []) {
          const delta = choice.delta ?? {};
          const thought = delta.reasoning ?? delta.reasoning_content;
          if (thought) {
            reasoning += thought;
            options.onReasoning?.(thought);
          }
          if (typeof delta.content === 'string' && delta.content !== '') {
            content += delta.content;
            sawContent = true;
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
        if (chunk.usage) {
          usage = {
            promptTokens: chunk.usage.prompt_tokens ?? 0,
            completionTokens: chunk.usage.completion_tokens ?? 0,
            reasoningTokens: chunk.usage.completion_tokens_details?.reasoning_tokens ?? null,
          };
        }
      },
    });
    const decoder = new TextDecoder();
    for await (const piece of response.body) {
      parser.feed(decoder.decode(piece as Buffer, { stream: true }));
      if (streamError) {
        response.body.destroy();
        throw streamError;
      }
    }
    if (streamError) throw streamError;
    if (!done)
      throw new InferenceError('protocol', 'the stream ended before [DONE] (the node died mid-answer)');
    return {
      content: sawContent ? content : null,
      reasoning,
      finishReason,
      usage,
      model,
      latencyMs: performance.now() - started,
    };
  } catch (error) {
    throw translateError(error, timeout.aborted);
  }
}

async function getText(
  endpoint: NodeEndpoint,
  path: string,
  dispatcher: Agent,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await request(endpointUrl(endpoint, path), {
      method: 'GET',
      headers: headers(endpoint),
      dispatcher,
      signal: timeout,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return { status: response.statusCode, text: await response.body.text() };
  } catch (error) {
    throw translateError(error, timeout.aborted);
  }
}

/** GET /health: 200 with an empty body when the engine is alive, 503 when it is dead. */
export async function checkHealth(
  endpoint: NodeEndpoint,
  dispatcher: Agent,
  timeoutMs: number,
): Promise<boolean> {
  const { status } = await getText(endpoint, '/health', dispatcher, timeoutMs);
  return status === 200;
}

export interface ServedModel {
  id: string;
  maxModelLen: number | null;
}

/** GET /v1/models (needs the key): the served model names. */
export async function listModels(
  endpoint: NodeEndpoint,
  dispatcher: Agent,
  timeoutMs: number,
): Promise<ServedModel[]> {
  const { status, text } = await getText(endpoint, '/v1/models', dispatcher, timeoutMs);
  if (status !== 200) throw errorForStatus(status, text);
  try {
    const parsed = JSON.parse(text) as { data?: { id?: unknown; max_model_len?: unknown }[] };
    return (parsed.data ?? [])
      .filter((model) => typeof model.id === 'string')
      .map((model) => ({
        id: model.id as string,
        maxModelLen: typeof model.max_model_len === 'number' ? model.max_model_len : null,
      }));
  } catch {
    throw new InferenceError('protocol', '/v1/models did not answer JSON');
  }
}

export interface NodeLoad {
  running: number;
  waiting: number;
  /** 0..1 */
  kvCacheUsage: number;
}

/** Combines a metric over its label sets (one per engine) in Prometheus text. */
function metricOver(text: string, name: string, combine: 'sum' | 'max'): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    total = total === null ? value : combine === 'sum' ? total + value : Math.max(total, value);
  }
  return total;
}

/** GET /metrics (no key): vLLM's own view of its queue, which no HTTP status reveals. */
export async function readNodeLoad(
  endpoint: NodeEndpoint,
  dispatcher: Agent,
  timeoutMs: number,
): Promise<NodeLoad> {
  const { status, text } = await getText(endpoint, '/metrics', dispatcher, timeoutMs);
  if (status !== 200) throw errorForStatus(status, text);
  const running = metricOver(text, 'vllm:num_requests_running', 'sum');
  const waiting = metricOver(text, 'vllm:num_requests_waiting', 'sum');
  if (running === null || waiting === null) {
    throw new InferenceError('protocol', '/metrics has no vllm:num_requests_running/waiting');
  }
  return { running, waiting, kvCacheUsage: metricOver(text, 'vllm:kv_cache_usage_perc', 'max') ?? 0 };
}
