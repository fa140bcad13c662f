import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, errors as undiciErrors, request } from 'undici';
import { ThinkSplitter } from './think-splitter';

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
  /** Image tokens of the frames (32 px a token side, two markers per image): not sent, known. */
  visionTokens: number;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  /** Only newer servers report it (completion_tokens_details.reasoning_tokens). */
  reasoningTokens: number | null;
}

/** Vigil's own finish reasons: it stopped reading because a part of the answer passed its cap. */
export const CAP_FINISH_REASONS = { reasoning: 'reasoning_cap', content: 'content_cap' } as const;

export interface ChatOutcome {
  content: string | null;
  reasoning: string;
  /** vLLM's (stop, length, …), or one of CAP_FINISH_REASONS when the client stopped the answer. */
  finishReason: string | null;
  /** Null when the node sent no usage chunk. */
  usage: TokenUsage | null;
  model: string | null;
  latencyMs: number;
  /** The part that passed its cap; the request was aborted there and the texts end at the cap. */
  capped: keyof typeof CAP_FINISH_REASONS | null;
  /** The thinking came inside `content` (the node runs without a reasoning parser) and was split off. */
  thinkingInContent: boolean;
}

/** The most of each part of an answer the client keeps; past it, it stops reading and aborts. */
export interface OutputCaps {
  reasoningChars: number;
  contentChars: number;
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
  /**
   * Characters of reasoning and answer the node had streamed before it failed; null when no
   * answer had begun (an error status, a refused connection). The GPU worked on those.
   */
  streamedChars: number | null = null;
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
  /** Each piece of reasoning as it arrives (never more, in all, than the reasoning cap). */
  onReasoning?: (delta: string) => void;
  /** Unlimited when absent. */
  caps?: OutputCaps;
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
 * Each frame's base64 as bytes, kept while its JPEG buffer lives: overlapping windows share half
 * their frames (the same buffers, from the worker's frame cache), and a retry sends them again.
 */
const base64Bytes = new WeakMap<Buffer, Buffer>();

function base64Of(jpeg: Buffer): Buffer {
  let bytes = base64Bytes.get(jpeg);
  if (!bytes) {
    bytes = Buffer.from(jpeg.toString('base64'), 'latin1');
    base64Bytes.set(jpeg, bytes);
  }
  return bytes;
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
      base64Of(jpeg),
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

/** The most of an error body, or of an answer that is not an event stream, the client reads. */
const ERROR_BODY_BYTES = 64 * 1024;
/** vLLM's chunks are a token or a few each: one line this long is not the contract. */
const MAX_LINE_BYTES = 1024 * 1024;

/** Reads at most `maxBytes` of a body and drops the rest (an error page can be any size). */
async function readCapped(body: AsyncIterable<unknown> & { destroy(): unknown }, maxBytes: number) {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const piece of body) {
    const buffer = piece as Buffer;
    parts.push(buffer);
    size += buffer.length;
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts).subarray(0, maxBytes).toString('utf8');
}

/** `text` cut to at most `length` characters, never between the halves of a surrogate pair. */
function cutAt(text: string, length: number): string {
  if (length <= 0) return '';
  if (text.length <= length) return text;
  const code = text.charCodeAt(length - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

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

interface StreamUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/**
 * POST /v1/chat/completions with stream: true. Reasoning deltas go to `onReasoning` as they
 * arrive; the answer comes back whole. Anything that is not the contract's event stream (another
 * content type, a chunk that is not a chat.completion.chunk, a stream without a finish_reason or
 * [DONE]) is a `protocol` error. Past a cap the client stops reading and aborts the request.
 * Throws InferenceError for every failure, so callers need no knowledge of HTTP.
 */
export async function streamChatCompletion(
  endpoint: NodeEndpoint,
  body: Record<string, unknown> | string | Buffer,
  options: CallOptions,
): Promise<ChatOutcome> {
  const started = performance.now();
  const timeout = AbortSignal.timeout(options.requestTimeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const caps = options.caps ?? { reasoningChars: Infinity, contentChars: Infinity };
  let content = '';
  let sawContent = false;
  let reasoning = '';
  let answering = false;
  const splitter = new ThinkSplitter();
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
      throw errorForStatus(response.statusCode, await readCapped(response.body, ERROR_BODY_BYTES));
    }
    const contentType = String(response.headers['content-type'] ?? '');
    if (contentType !== '' && !/^text\/event-stream\b/i.test(contentType)) {
      const start = (await readCapped(response.body, 2048)).replace(/\s+/g, ' ').trim().slice(0, 200);
      throw new InferenceError(
        'protocol',
        `the node answered ${contentType.split(';')[0]} instead of an event stream: ${start || '(empty body)'}`,
        200,
      );
    }
    answering = true;
    let finishReason: string | null = null;
    let usage: TokenUsage | null = null;
    let model: string | null = null;
    let done = false;
    let capped: ChatOutcome['capped'] = null;
    let streamError: InferenceError | null = null;
    let sawReasoningField = false;

    const addReasoning = (text: string): void => {
      if (!text || capped) return;
      const room = caps.reasoningChars - reasoning.length;
      const kept = cutAt(text, room);
      if (kept.length < text.length) capped = 'reasoning';
      if (!kept) return;
      reasoning += kept;
      options.onReasoning?.(kept);
    };
    const addContent = (text: string): void => {
      if (!text || capped) return;
      const room = caps.contentChars - content.length;
      const kept = cutAt(text, room);
      if (kept.length < text.length) capped = 'content';
      content += kept;
      sawContent = true;
    };
    const addSplit = (piece: { reasoning: string; content: string }): void => {
      addReasoning(piece.reasoning);
      addContent(piece.content);
    };

    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (done || streamError || capped) return;
        if (event.data === '[DONE]') {
          done = true;
          return;
        }
        let chunk: unknown;
        try {
          chunk = JSON.parse(event.data);
        } catch {
          streamError = new InferenceError('protocol', 'the node sent a stream chunk that is not JSON');
          return;
        }
        if (isObject(chunk) && chunk.error) {
          // An error after the stream started arrives as a chunk, the status being 200 already.
          streamError = new InferenceError(
            'server-error',
            `error during the stream: ${errorMessage(JSON.stringify(chunk))}`,
          );
          return;
        }
        const choices = isObject(chunk) ? chunk.choices : undefined;
        const object = isObject(chunk) ? chunk.object : undefined;
        if (!Array.isArray(choices) || (object !== undefined && object !== 'chat.completion.chunk')) {
          streamError = new InferenceError(
            'protocol',
            `the node sent a stream chunk that is not a chat.completion.chunk: ${event.data.slice(0, 160)}`,
          );
          return;
        }
        const head = chunk as { model?: unknown; usage?: StreamUsage | null };
        if (typeof head.model === 'string') model ??= head.model;
        for (const choice of choices as unknown[]) {
          const delta = isObject(choice) ? choice.delta : undefined;
          if (!isObject(delta)) {
            streamError = new InferenceError(
              'protocol',
              `the node sent a choice without a delta: ${event.data.slice(0, 160)}`,
            );
            return;
          }
          const thought = delta.reasoning ?? delta.reasoning_content;
          if (typeof thought === 'string' && thought !== '') {
            sawReasoningField = true;
            addReasoning(thought);
          }
          if (typeof delta.content === 'string' && delta.content !== '') {
            // With a reasoning parser the content is the answer; without one it may hold the thinking.
            addSplit(
              sawReasoningField ? { reasoning: '', content: delta.content } : splitter.feed(delta.content),
            );
          }
          const finish = (choice as { finish_reason?: unknown }).finish_reason;
          if (typeof finish === 'string' && finish !== '') finishReason = finish;
        }
        if (!capped && splitter.heldLength > caps.reasoningChars + caps.contentChars) capped = 'content';
        if (head.usage) {
          usage = {
            promptTokens: head.usage.prompt_tokens ?? 0,
            completionTokens: head.usage.completion_tokens ?? 0,
            reasoningTokens: head.usage.completion_tokens_details?.reasoning_tokens ?? null,
          };
        }
      },
    });
    const decoder = new TextDecoder();
    let lineBytes = 0;
    for await (const piece of response.body) {
      const buffer = piece as Buffer;
      parser.feed(decoder.decode(buffer, { stream: true }));
      // The parser buffers a line until it ends: one longer than any chunk of the contract is garbage.
      const newline = buffer.lastIndexOf(10);
      lineBytes = newline < 0 ? lineBytes + buffer.length : buffer.length - newline - 1;
      if (!streamError && lineBytes > MAX_LINE_BYTES) {
        streamError = new InferenceError(
          'protocol',
          `the node sent a stream line longer than ${MAX_LINE_BYTES} bytes`,
        );
      }
      if (streamError || capped) {
        // Destroying the body aborts the request (the socket closes): vLLM frees its slot.
        response.body.destroy();
        break;
      }
    }
    if (streamError) throw streamError;
    if (!capped) {
      if (!done)
        throw new InferenceError('protocol', 'the stream ended before [DONE] (the node died mid-answer)');
      if (finishReason === null)
        throw new InferenceError('protocol', 'the stream ended without a finish_reason');
      addSplit(splitter.end());
    }
    const cappedPart = capped as ChatOutcome['capped'];
    return {
      content: sawContent ? content : null,
      reasoning,
      finishReason: cappedPart ? CAP_FINISH_REASONS[cappedPart] : finishReason,
      usage,
      model,
      latencyMs: performance.now() - started,
      capped: cappedPart,
      thinkingInContent: splitter.foundThinking,
    };
  } catch (error) {
    const failure = translateError(error, timeout.aborted);
    if (answering) failure.streamedChars = reasoning.length + content.length + splitter.heldLength;
    throw failure;
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
