import { randomUUID } from 'node:crypto';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Ajv, { type ValidateFunction } from 'ajv';

/**
 * A stand-in for a GPU node: vLLM serving Qwen/Qwen3-VL-8B-Thinking with `--reasoning-parser qwen3`,
 * speaking the wire contract in docs/gpu-node-contract.md. Tests and benchmarks of the
 * inference client point at it instead of a real GPU, so it mimics what the client can observe
 * (shapes, errors, queueing, metrics) and lets a test make the node misbehave on demand.
 */

export type ReasoningField = 'reasoning' | 'reasoning_content';

export interface FakeVllmOptions {
  host?: string;
  port?: number;
  /** The served model name (`--served-model-name`). */
  modelName?: string;
  /** When set, `/v1/*` needs `Authorization: Bearer <apiKey>` (like `--api-key`). */
  apiKey?: string | null;
  maxModelLen?: number;
  /** `--limit-mm-per-prompt.image`. */
  maxImages?: number;
  /** Requests that run at once (max_num_seqs); the rest wait in a FIFO queue. */
  slots?: number;
  /** How long a request holds its slot (model time); a stream spreads it over its deltas. */
  latencyMs?: number;
  /** `reasoning` (vLLM since 2025-11) or `reasoning_content` (older servers). */
  reasoningField?: ReasoningField;
  /** Reasoning tokens produced per answer, capped by the request's `thinking_token_budget`. */
  thinkingTokens?: number;
  version?: string;
  /**
   * Whether the server runs with `--reasoning-parser qwen3`. Without one the thinking stays in
   * `content`, closed by `</think>` (the Thinking chat template opens `<think>` in the prompt), and
   * usage has no reasoning-token count.
   */
  reasoningParser?: boolean;
  /**
   * Whether a streamed answer ends with the usage chunk when `stream_options.include_usage` asks
   * for it. A server (or a proxy in front of it) that drops it sends none.
   */
  sendsUsage?: boolean;
}

export type ResolvedFakeVllmOptions = Required<FakeVllmOptions>;

export const DEFAULT_FAKE_VLLM_OPTIONS: Readonly<ResolvedFakeVllmOptions> = {
  host: '127.0.0.1',
  port: 0,
  modelName: 'qwen3-vl-8b-thinking',
  apiKey: null,
  maxModelLen: 32768,
  maxImages: 8,
  slots: 16,
  latencyMs: 800,
  reasoningField: 'reasoning',
  thinkingTokens: 200,
  version: '0.22.1',
  reasoningParser: true,
  sendsUsage: true,
};

/** What `POST /__fake/config` may change while the server runs. */
export type FakeVllmConfigPatch = Partial<
  Pick<
    ResolvedFakeVllmOptions,
    | 'latencyMs'
    | 'slots'
    | 'thinkingTokens'
    | 'reasoningField'
    | 'apiKey'
    | 'maxImages'
    | 'maxModelLen'
    | 'reasoningParser'
    | 'sendsUsage'
  >
>;

export const FAKE_VLLM_FAULT_KINDS = [
  'http-500',
  'hang',
  'garbage',
  'die-mid-stream',
  'stream-error',
  'length',
  'invalid-json-content',
  'engine-dead',
  /** HTTP 200 with an HTML page (a proxy's or another service's), for a streamed request too. */
  'html-page',
  /** Valid JSON in the wrong shape: the legacy /v1/completions objects (`choices[].text`), then [DONE]. */
  'wrong-shape',
  /** The stream ends cleanly half-way through an event: no finish, no [DONE] (a proxy cut it). */
  'truncated-stream',
  /** Reasoning that never ends, ignoring max_completion_tokens, in large deltas (until 64 MB). */
  'runaway-reasoning',
  /** A short reasoning, then an answer that never ends (until 64 MB). */
  'runaway-content',
] as const;

export type FakeVllmFaultKind = (typeof FAKE_VLLM_FAULT_KINDS)[number];

/**
 * A misbehaviour for the next `count` (default 1) chat requests that reach the engine (valid ones;
 * a request rejected with 4xx does not use a fault up). `engine-dead` is instead a state: /health
 * answers 503 and every chat request 500 until `DELETE /__fake/faults`.
 */
export interface FakeVllmFault {
  kind: FakeVllmFaultKind;
  count?: number;
}

/** What a chat request asked for, as the fake saw it. */
export interface FakeVllmRequestSummary {
  model: string | null;
  stream: boolean;
  imageCount: number;
  /** The text parts before the first image, joined with "\n" (the cacheable prefix). */
  textBeforeImages: string;
  /** The text parts after the last image, joined with "\n" (empty when there are no images). */
  textAfterImages: string;
  responseFormatName: string | null;
  temperature: number | null;
  top_p: number | null;
  top_k: number | null;
  presence_penalty: number | null;
  max_completion_tokens: number | null;
  thinking_token_budget: number | null;
  include_usage: boolean;
  /** Epoch milliseconds. */
  receivedAt: number;
}

export interface FakeVllmStats {
  /** Chat requests that passed authentication. */
  received: number;
  /** Requests that were scheduled and got their whole answer (faults included, bar hang and die-mid-stream). */
  completed: number;
  /** Chat requests answered with an error before reaching the queue (4xx, http-500, engine-dead). */
  rejected: number;
  /** Requests whose client went away (or whose socket the fake destroyed) before the answer ended. */
  aborted: number;
  /** Bytes of streamed (and runaway) answers written to clients. */
  sentBytes: number;
  running: number;
  waiting: number;
  maxRunning: number;
  maxWaiting: number;
  /** Mean length of the waiting queue that each scheduled request found when it arrived. */
  waitingSamples: number;
  engineDead: boolean;
  pendingFaults: FakeVllmFault[];
  pendingResults: number;
  /** The last 100 chat requests with a JSON body, oldest first. */
  requests: FakeVllmRequestSummary[];
}

export interface FakeVllmServer {
  url: string;
  port: number;
  /** The live options (the control API changes them). */
  options: Readonly<ResolvedFakeVllmOptions>;
  stats(): FakeVllmStats;
  /** Stops listening and destroys every open socket, so hanging requests end too. */
  close(): Promise<void>;
}

export async function startFakeVllmServer(options: FakeVllmOptions = {}): Promise<FakeVllmServer> {
  const resolved: ResolvedFakeVllmOptions = { ...DEFAULT_FAKE_VLLM_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    // An explicit undefined (a spread of optional settings) keeps the default.
    if (value !== undefined) (resolved as Record<string, unknown>)[key] = value;
  }
  const fake = new FakeVllm(resolved);
  const server = http.createServer((req, res) => {
    fake.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalServerError', `fake vLLM: ${String(error)}`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(resolved.host)}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    options: resolved,
    stats: () => fake.stats(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        fake.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

// ---------------------------------------------------------------------------------------------
// The engine: queue, faults, statistics, metrics

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const MAX_SUMMARIES = 100;
const MAX_REMEMBERED_PREFIXES = 1000;
const REASONING_WORDS_PER_DELTA = 20;
const CONTENT_CHARS_PER_DELTA = 32;
/** How far a runaway answer goes if the client keeps reading. */
const RUNAWAY_LIMIT_BYTES = 64 * 1024 * 1024;
const RUNAWAY_DELTA = 'and then I look at the frame again, '.repeat(455);
const RUNAWAY_OBJECTS = '{"label": "person", "count": 1, "confidence": 0.9, "frames": [0]}, '.repeat(240);
/** What a Thinking model generates to end its thinking (the template opened `<think>` in the prompt). */
const THINK_END = '\n</think>\n\n';
const HTML_PAGE = Buffer.from(
  '<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n' +
    '<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>\n',
);

type ErrorType = 'BadRequestError' | 'NotFoundError' | 'InternalServerError' | 'NotImplementedError';

/** A request the fake refuses, answered in vLLM's error shape. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: ErrorType,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

class AbortedError extends Error {}

interface Waiter {
  grant(): void;
}

type Behaviour = { kind: 'normal'; scripted?: unknown } | { kind: Exclude<FakeVllmFaultKind, 'engine-dead'> };

class FakeVllm {
  private readonly waiters: Waiter[] = [];
  private running = 0;
  private faults: { kind: FakeVllmFaultKind; remaining: number }[] = [];
  private scriptedResults: unknown[] = [];
  private engineDead = false;
  private readonly live = new Set<AbortController>();
  private readonly startedAt = Math.floor(Date.now() / 1000);
  private counters = freshCounters();
  private summaries: FakeVllmRequestSummary[] = [];
  private seenPrefixes = new Set<string>();

  constructor(private readonly options: ResolvedFakeVllmOptions) {}

  stats(): FakeVllmStats {
    const c = this.counters;
    return {
      received: c.received,
      completed: c.completed,
      rejected: c.rejected,
      aborted: c.aborted,
      sentBytes: c.sentBytes,
      running: this.running,
      waiting: this.waiters.length,
      maxRunning: c.maxRunning,
      maxWaiting: c.maxWaiting,
      waitingSamples: c.arrivals === 0 ? 0 : c.waitingSum / c.arrivals,
      engineDead: this.engineDead,
      pendingFaults: this.faults.map((fault) => ({ kind: fault.kind, count: fault.remaining })),
      pendingResults: this.scriptedResults.length,
      requests: [...this.summaries],
    };
  }

  /** Ends every request in flight (their sockets are being destroyed anyway). */
  shutdown(): void {
    for (const controller of this.live) controller.abort();
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (path.startsWith('/__fake/')) return this.handleControl(method, path, req, res);
    if (path.startsWith('/v1/') && !this.authorized(req)) {
      // vLLM's auth middleware answers before FastAPI, hence not the usual error shape.
      return sendJson(res, 401, { error: 'Unauthorized' });
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'POST /v1/chat/completions':
        return this.handleChat(req, res);
      case 'GET /health':
        res.writeHead(this.engineDead ? 503 : 200, { 'content-length': '0' });
        res.end();
        return;
      case 'GET /version':
        return sendJson(res, 200, { version: this.options.version });
      case 'GET /v1/models':
        return sendJson(res, 200, this.models());
      case 'GET /metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(this.metrics());
        return;
      default: {
        const known = ['/v1/chat/completions', '/health', '/version', '/v1/models', '/metrics'];
        if (known.includes(path)) return sendJson(res, 405, { detail: 'Method Not Allowed' });
        return sendJson(res, 404, { detail: 'Not Found' });
      }
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const key = this.options.apiKey;
    return key === null || req.headers.authorization === `Bearer ${key}`;
  }

  private models(): unknown {
    return {
      object: 'list',
      data: [
        {
          id: this.options.modelName,
          object: 'model',
          created: this.startedAt,
          owned_by: 'vllm',
          root: 'Qwen/Qwen3-VL-8B-Thinking',
          parent: null,
          max_model_len: this.options.maxModelLen,
          permission: [],
        },
      ],
    };
  }

  // -- chat ------------------------------------------------------------------------------------

  private async handleChat(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.counters.received++;
    let request: ChatRequest;
    let behaviour: Behaviour;
    try {
      const body = parseJsonBody(await readBody(req));
      this.remember(summarize(body));
      request = validateChatRequest(body, this.options);
      if (this.engineDead) {
        throw new RequestError(
          500,
          'InternalServerError',
          'EngineCore encountered an issue. See stack trace (above) for the root cause.',
        );
      }
      behaviour = this.nextBehaviour();
      if (behaviour.kind === 'http-500') {
        throw new RequestError(
          500,
          'InternalServerError',
          'Internal server error (fake vLLM fault http-500).',
        );
      }
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      this.counters.rejected++;
      return sendError(res, error.status, error.type, error.message, error.param);
    }

    const controller = new AbortController();
    this.live.add(controller);
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const signal = controller.signal;
    try {
      // Like Starlette's StreamingResponse: the 200 goes out before the request is even scheduled.
      if (request.stream && behaviour.kind !== 'hang' && behaviour.kind !== 'html-page') {
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
        });
        res.flushHeaders();
      }
      await this.acquireSlot(signal);
      try {
        this.countPrefill(request);
        await this.run(request, behaviour, res, signal);
        this.counters.completed++;
      } finally {
        this.releaseSlot();
      }
    } catch (error) {
      if (!(error instanceof AbortedError)) throw error;
      this.counters.aborted++;
      if (!res.destroyed) res.destroy();
    } finally {
      this.live.delete(controller);
    }
  }

  private nextBehaviour(): Behaviour {
    const fault = this.faults[0];
    if (fault) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults.shift();
      if (fault.kind !== 'engine-dead') return { kind: fault.kind };
    }
    if (this.scriptedResults.length > 0) return { kind: 'normal', scripted: this.scriptedResults.shift() };
    return { kind: 'normal' };
  }

  private async run(
    request: ChatRequest,
    behaviour: Behaviour,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const latency = this.options.latencyMs;
    if (behaviour.kind === 'hang') {
      await new Promise<never>((_, reject) => onAbort(signal, () => reject(new AbortedError())));
    }
    const answer = this.plan(request, behaviour);
    const ids = {
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      created: Math.floor(Date.now() / 1000),
      model: this.options.modelName,
    };
    if (behaviour.kind === 'html-page') {
      await sleep(latency, signal);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': HTML_PAGE.length });
      res.end(HTML_PAGE);
      return;
    }
    if (!request.stream) {
      await sleep(latency, signal);
      if (behaviour.kind === 'die-mid-stream') {
        res.destroy();
        throw new AbortedError();
      }
      if (behaviour.kind === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html><body>502 upstream hiccup</body></html> {"choices": [');
        return;
      }
      if (behaviour.kind === 'stream-error') {
        // Without a stream there is nothing to break mid-way: the engine error is a plain 500.
        sendError(res, 500, 'InternalServerError', 'Internal server error (fake vLLM fault stream-error).');
        return;
      }
      if (behaviour.kind === 'wrong-shape') {
        sendJson(res, 200, {
          ...ids,
          object: 'text_completion',
          choices: [{ index: 0, text: answer.content, logprobs: null, finish_reason: answer.finishReason }],
          usage: this.usage(answer),
        });
        return;
      }
      const completion = this.completionBody(ids, answer);
      if (behaviour.kind === 'truncated-stream') {
        const body = JSON.stringify(completion);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body.slice(0, Math.floor(body.length / 2)));
        return;
      }
      if (behaviour.kind === 'runaway-reasoning' || behaviour.kind === 'runaway-content') {
        // One enormous JSON body, written piece by piece as a server would serialise it.
        const raw = this.rawWriter(res, signal);
        res.writeHead(200, { 'content-type': 'application/json' });
        const field = behaviour.kind === 'runaway-reasoning' ? this.options.reasoningField : 'content';
        await raw(`{"id": ${JSON.stringify(ids.id)}, "object": "chat.completion", "choices": [{"index": 0, `);
        await raw(`"message": {"role": "assistant", ${JSON.stringify(field)}: "`);
        for (let sent = 0; sent < RUNAWAY_LIMIT_BYTES; sent += RUNAWAY_DELTA.length) {
          await raw(RUNAWAY_DELTA.replace(/"/g, '\\"'));
        }
        await raw('"}, "finish_reason": "length"}]}');
        res.end();
        return;
      }
      this.counters.generationTokens += answer.completionTokens;
      sendJson(res, 200, completion);
      return;
    }
    await this.stream(ids, answer, request, behaviour, res, signal, latency);
  }

  /** Writes response text, counting the bytes (FakeVllmStats.sentBytes). */
  private rawWriter(res: ServerResponse, signal: AbortSignal): (text: string) => Promise<void> {
    return (text) => {
      this.counters.sentBytes += Buffer.byteLength(text);
      return writeRaw(res, text, signal);
    };
  }

  private async stream(
    ids: CompletionIds,
    answer: Answer,
    request: ChatRequest,
    behaviour: Behaviour,
    res: ServerResponse,
    signal: AbortSignal,
    latency: number,
  ): Promise<void> {
    const parser = this.options.reasoningParser;
    const raw = this.rawWriter(res, signal);
    const event = (data: unknown): Promise<void> => raw(`data: ${JSON.stringify(data)}\n\n`);
    const endStream = async (): Promise<void> => {
      await raw('data: [DONE]\n\n');
      res.end();
    };
    const reasoningDeltas = splitWords(answer.reasoning ?? '', REASONING_WORDS_PER_DELTA);
    const contentDeltas = splitChars(answer.content ?? '', CONTENT_CHARS_PER_DELTA);
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): unknown => ({
      ...chunkHead(ids),
      choices: [
        {
          index: 0,
          delta,
          logprobs: null,
          finish_reason: finishReason,
          ...(finishReason === null ? {} : { stop_reason: null }),
        },
      ],
    });
    // Without a reasoning parser the thinking is part of the answer's text.
    const thought = (text: string): unknown =>
      chunk(parser ? { [this.options.reasoningField]: text } : { content: text });
    // Faults that break the stream do so after a few reasoning deltas, as a crashing node would.
    const breakAfter = Math.max(1, Math.min(3, Math.floor(reasoningDeltas.length / 2)));
    const breaks = [
      'die-mid-stream',
      'stream-error',
      'garbage',
      'truncated-stream',
      'runaway-content',
    ].includes(behaviour.kind);
    const steps =
      1 +
      (breaks
        ? Math.min(breakAfter, reasoningDeltas.length)
        : reasoningDeltas.length + contentDeltas.length + 1);
    const stepMs = latency / steps;

    await sleep(stepMs, signal);
    await event(chunk({ role: 'assistant', content: '' }));
    if (behaviour.kind === 'garbage') {
      await raw('data: {"id": "chatcmpl-garbage", "choices": [{"delta": {"content": \n\n');
      await endStream();
      return;
    }
    if (behaviour.kind === 'wrong-shape') {
      // The legacy completions stream: JSON and [DONE] as usual, but text instead of a delta.
      for (const text of contentDeltas) {
        await sleep(stepMs, signal);
        await event({
          ...ids,
          object: 'text_completion',
          choices: [{ index: 0, text, finish_reason: null }],
        });
      }
      await event({
        ...ids,
        object: 'text_completion',
        choices: [{ index: 0, text: '', finish_reason: 'stop' }],
      });
      await endStream();
      return;
    }
    if (behaviour.kind === 'runaway-reasoning') {
      for (let sent = 0; sent < RUNAWAY_LIMIT_BYTES; sent += RUNAWAY_DELTA.length) {
        await event(thought(RUNAWAY_DELTA));
      }
      await event(chunk({}, 'length'));
      await endStream();
      return;
    }
    for (const [index, text] of reasoningDeltas.entries()) {
      if (breaks && index >= breakAfter) break;
      await sleep(stepMs, signal);
      await event(thought(text));
    }
    if (behaviour.kind === 'die-mid-stream') {
      res.destroy();
      throw new AbortedError();
    }
    if (behaviour.kind === 'truncated-stream') {
      // The connection ends cleanly in the middle of an event: no blank line, no finish, no [DONE].
      await raw(
        `data: {"id": ${JSON.stringify(ids.id)}, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"reas`,
      );
      res.end();
      return;
    }
    if (behaviour.kind === 'stream-error') {
      await event({
        error: {
          message: 'Internal server error (fake vLLM fault stream-error).',
          type: 'InternalServerError',
          param: null,
          code: 500,
        },
      });
      await endStream();
      return;
    }
    if (!parser && answer.content !== null) await event(chunk({ content: THINK_END }));
    if (behaviour.kind === 'runaway-content') {
      await event(chunk({ content: '{"objects": [' }));
      for (let sent = 0; sent < RUNAWAY_LIMIT_BYTES; sent += RUNAWAY_OBJECTS.length) {
        await event(chunk({ content: RUNAWAY_OBJECTS }));
      }
      await event(chunk({}, 'length'));
      await endStream();
      return;
    }
    for (const text of contentDeltas) {
      await sleep(stepMs, signal);
      await event(chunk({ content: text }));
    }
    await sleep(stepMs, signal);
    await event(chunk({}, answer.finishReason));
    this.counters.generationTokens += answer.completionTokens;
    if (request.includeUsage && this.options.sendsUsage) {
      await event({ ...chunkHead(ids), choices: [], usage: this.usage(answer) });
    }
    await endStream();
  }

  private plan(request: ChatRequest, behaviour: Behaviour): Answer {
    const budget = request.thinkingTokenBudget ?? Infinity;
    const thinking = Math.max(0, Math.min(this.options.thinkingTokens, budget));
    const maxCompletion = request.maxCompletionTokens ?? this.options.maxModelLen - request.promptTokens;
    let content: string;
    if (behaviour.kind === 'length') {
      return answerOf(reasoningText(thinking), null, 'length');
    } else if (behaviour.kind === 'invalid-json-content') {
      content = 'Sure! Here is the analysis: {objects: [person, car], verdict: safe';
    } else if (behaviour.kind === 'normal' && 'scripted' in behaviour) {
      content = JSON.stringify(behaviour.scripted);
    } else if (request.schema !== undefined) {
      content = JSON.stringify(exampleFromSchema(request.schema));
    } else if (request.jsonObject) {
      content = JSON.stringify({ summary: 'A static scene; nothing happens.', verdict: 'safe' });
    } else {
      content = 'The frames show a static scene with no people and nothing that breaks the policy.';
    }
    if (maxCompletion < thinking) {
      // It ran out while thinking: no `</think>`, so the parser leaves no content at all.
      return answerOf(reasoningText(maxCompletion), null, 'length');
    }
    const room = maxCompletion - thinking;
    if (contentTokensOf(content) > room) {
      return answerOf(reasoningText(thinking), room > 0 ? content.slice(0, room * 4) : null, 'length');
    }
    return answerOf(reasoningText(thinking), content, 'stop');

    function answerOf(reasoning: string, text: string | null, finishReason: 'stop' | 'length'): Answer {
      const reasoningTokens = wordCount(reasoning);
      const completionTokens = reasoningTokens + (text === null ? 0 : contentTokensOf(text));
      return {
        reasoning: reasoningTokens === 0 ? null : reasoning,
        reasoningTokens,
        content: text,
        finishReason,
        promptTokens: request.promptTokens,
        completionTokens,
      };
    }
  }

  private usage(answer: Answer): Record<string, unknown> {
    return {
      prompt_tokens: answer.promptTokens,
      completion_tokens: answer.completionTokens,
      total_tokens: answer.promptTokens + answer.completionTokens,
      // Servers old enough to say reasoning_content did not report reasoning tokens either, and
      // without a reasoning parser the server cannot tell thinking from answer.
      ...(this.options.reasoningField === 'reasoning' && this.options.reasoningParser
        ? { completion_tokens_details: { reasoning_tokens: answer.reasoningTokens } }
        : {}),
    };
  }

  private completionBody(ids: CompletionIds, answer: Answer): unknown {
    return {
      id: ids.id,
      object: 'chat.completion',
      created: ids.created,
      model: ids.model,
      choices: [
        {
          index: 0,
          message: this.options.reasoningParser
            ? {
                role: 'assistant',
                content: answer.content,
                [this.options.reasoningField]: answer.reasoning,
                tool_calls: [],
              }
            : {
                role: 'assistant',
                content: withoutParser(answer),
                [this.options.reasoningField]: null,
                tool_calls: [],
              },
          logprobs: null,
          finish_reason: answer.finishReason,
          stop_reason: null,
        },
      ],
      system_fingerprint: `vllm-${this.options.version}-fake`,
      usage: this.usage(answer),
    };
  }

  // -- queue -----------------------------------------------------------------------------------

  private acquireSlot(signal: AbortSignal): Promise<void> {
    const c = this.counters;
    c.arrivals++;
    c.waitingSum += this.waiters.length;
    if (this.waiters.length === 0 && this.running < this.options.slots) {
      this.takeSlot();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          this.takeSlot();
          resolve();
        },
      };
      this.waiters.push(waiter);
      c.maxWaiting = Math.max(c.maxWaiting, this.waiters.length);
      onAbort(signal, () => {
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return;
        this.waiters.splice(index, 1);
        reject(new AbortedError());
      });
    });
  }

  private takeSlot(): void {
    this.running++;
    this.counters.maxRunning = Math.max(this.counters.maxRunning, this.running);
  }

  private releaseSlot(): void {
    this.running--;
    this.pump();
  }

  private pump(): void {
    while (this.running < this.options.slots) {
      const next = this.waiters.shift();
      if (!next) return;
      next.grant();
    }
  }

  private countPrefill(request: ChatRequest): void {
    const c = this.counters;
    c.promptTokens += request.promptTokens;
    c.prefixQueries += request.promptTokens;
    // Prefix caching works on whole blocks of the prompt; the fixed text before the first image is
    // the part a well-behaved client keeps identical, so a repeat of it counts as cached tokens.
    if (this.seenPrefixes.has(request.prefix)) {
      c.prefixHits += Math.min(request.promptTokens, Math.ceil(request.prefix.length / 4));
    } else {
      if (this.seenPrefixes.size >= MAX_REMEMBERED_PREFIXES) this.seenPrefixes.clear();
      this.seenPrefixes.add(request.prefix);
    }
  }

  private remember(summary: FakeVllmRequestSummary): void {
    this.summaries.push(summary);
    if (this.summaries.length > MAX_SUMMARIES) this.summaries.shift();
  }

  // -- metrics ---------------------------------------------------------------------------------

  private metrics(): string {
    const labels = `{engine="0",model_name=${JSON.stringify(this.options.modelName)}}`;
    const c = this.counters;
    const families: [string, 'gauge' | 'counter', string, number][] = [
      ['vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.', this.running],
      [
        'vllm:num_requests_waiting',
        'gauge',
        'Number of requests waiting to be processed.',
        this.waiters.length,
      ],
      [
        'vllm:kv_cache_usage_perc',
        'gauge',
        'KV-cache usage. 1 means 100 percent usage.',
        Math.min(1, this.running / Math.max(1, this.options.slots)),
      ],
      [
        'vllm:prefix_cache_queries_total',
        'counter',
        'Prefix cache queries, in terms of number of queried tokens.',
        c.prefixQueries,
      ],
      [
        'vllm:prefix_cache_hits_total',
        'counter',
        'Prefix cache hits, in terms of number of cached tokens.',
        c.prefixHits,
      ],
      ['vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', c.promptTokens],
      [
        'vllm:generation_tokens_total',
        'counter',
        'Number of generation tokens processed.',
        c.generationTokens,
      ],
    ];
    // Python's prometheus_client writes counters' HELP/TYPE under the _total name and every value as a float.
    return families
      .map(([name, type, help, value]) =>
        [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${pythonFloat(value)}`].join(
          '\n',
        ),
      )
      .join('\n')
      .concat('\n');
  }

  // -- control API -----------------------------------------------------------------------------

  private async handleControl(
    method: string,
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    try {
      const route = `${method} ${path}`;
      switch (route) {
        case 'GET /__fake/stats':
          return sendJson(res, 200, this.stats());
        case 'POST /__fake/faults': {
          const body = asRecord(parseJsonBody(await readBody(req)), 'body');
          const faults = parseFaults(body.faults);
          for (const fault of faults) {
            if (fault.kind === 'engine-dead') this.engineDead = true;
            else this.faults.push({ kind: fault.kind, remaining: fault.count ?? 1 });
          }
          return sendJson(res, 200, { ok: true, pendingFaults: this.stats().pendingFaults });
        }
        case 'DELETE /__fake/faults':
          this.faults = [];
          this.engineDead = false;
          return sendJson(res, 200, { ok: true });
        case 'POST /__fake/config': {
          const patch = parseConfigPatch(parseJsonBody(await readBody(req)));
          Object.assign(this.options, patch);
          this.pump();
          return sendJson(res, 200, { ok: true, options: this.options });
        }
        case 'POST /__fake/results': {
          const body = asRecord(parseJsonBody(await readBody(req)), 'body');
          if (!Array.isArray(body.results))
            throw new RequestError(400, 'BadRequestError', 'results must be an array');
          this.scriptedResults.push(...(body.results as unknown[]));
          return sendJson(res, 200, { ok: true, pendingResults: this.scriptedResults.length });
        }
        case 'POST /__fake/reset':
          this.faults = [];
          this.engineDead = false;
          this.scriptedResults = [];
          this.counters = freshCounters();
          this.summaries = [];
          this.seenPrefixes = new Set();
          return sendJson(res, 200, { ok: true });
        default:
          return sendJson(res, 404, { detail: 'Not Found' });
      }
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      return sendError(res, error.status, error.type, error.message, error.param);
    }
  }
}

interface Counters {
  received: number;
  completed: number;
  rejected: number;
  aborted: number;
  maxRunning: number;
  maxWaiting: number;
  arrivals: number;
  waitingSum: number;
  promptTokens: number;
  generationTokens: number;
  sentBytes: number;
  prefixQueries: number;
  prefixHits: number;
}

function freshCounters(): Counters {
  return {
    received: 0,
    completed: 0,
    rejected: 0,
    aborted: 0,
    maxRunning: 0,
    maxWaiting: 0,
    arrivals: 0,
    waitingSum: 0,
    promptTokens: 0,
    generationTokens: 0,
    sentBytes: 0,
    prefixQueries: 0,
    prefixHits: 0,
  };
}

interface CompletionIds {
  id: string;
  created: number;
  model: string;
}

interface Answer {
  reasoning: string | null;
  reasoningTokens: number;
  content: string | null;
  finishReason: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
}

function chunkHead(ids: CompletionIds): Record<string, unknown> {
  return { id: ids.id, object: 'chat.completion.chunk', created: ids.created, model: ids.model };
}

function pythonFloat(value: number): string {
  return Number.isInteger(value) ? `${value}.0` : String(value);
}

function parseFaults(raw: unknown): FakeVllmFault[] {
  if (!Array.isArray(raw)) throw new RequestError(400, 'BadRequestError', 'faults must be an array');
  return raw.map((item: unknown) => {
    const fault = typeof item === 'string' ? { kind: item } : asRecord(item, 'fault');
    const kind = fault.kind;
    if (typeof kind !== 'string' || !(FAKE_VLLM_FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new RequestError(400, 'BadRequestError', `unknown fault kind ${JSON.stringify(kind)}`);
    }
    const count = 'count' in fault ? fault.count : 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
      throw new RequestError(400, 'BadRequestError', 'fault count must be a positive integer');
    }
    return { kind: kind as FakeVllmFaultKind, count };
  });
}

function parseConfigPatch(raw: unknown): FakeVllmConfigPatch {
  const body = asRecord(raw, 'config');
  const patch: FakeVllmConfigPatch = {};
  const positive = (key: 'slots' | 'maxModelLen'): void => {
    const value = body[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new RequestError(400, 'BadRequestError', `${key} must be a positive integer`);
    }
    patch[key] = value;
  };
  const nonNegative = (key: 'latencyMs' | 'thinkingTokens' | 'maxImages'): void => {
    const value = body[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RequestError(400, 'BadRequestError', `${key} must be a number >= 0`);
    }
    patch[key] = key === 'latencyMs' ? value : Math.floor(value);
  };
  for (const key of Object.keys(body)) {
    switch (key) {
      case 'slots':
      case 'maxModelLen':
        positive(key);
        break;
      case 'latencyMs':
      case 'thinkingTokens':
      case 'maxImages':
        nonNegative(key);
        break;
      case 'reasoningParser':
      case 'sendsUsage': {
        const value = body[key];
        if (typeof value !== 'boolean')
          throw new RequestError(400, 'BadRequestError', `${key} must be a boolean`);
        patch[key] = value;
        break;
      }
      case 'reasoningField':
        if (body.reasoningField !== 'reasoning' && body.reasoningField !== 'reasoning_content') {
          throw new RequestError(
            400,
            'BadRequestError',
            'reasoningField must be reasoning or reasoning_content',
          );
        }
        patch.reasoningField = body.reasoningField;
        break;
      case 'apiKey':
        if (body.apiKey !== null && typeof body.apiKey !== 'string') {
          throw new RequestError(400, 'BadRequestError', 'apiKey must be a string or null');
        }
        patch.apiKey = body.apiKey;
        break;
      default:
        // A typo in a test's configuration should fail loudly, not be ignored.
        throw new RequestError(400, 'BadRequestError', `unknown config field ${JSON.stringify(key)}`);
    }
  }
  return patch;
}

// ---------------------------------------------------------------------------------------------
// Request validation, the way vLLM's OpenAI server does it

interface ChatRequest {
  stream: boolean;
  includeUsage: boolean;
  maxCompletionTokens: number | null;
  thinkingTokenBudget: number | null;
  /** The JSON schema the content must follow, when the request asks for one. */
  schema?: unknown;
  jsonObject: boolean;
  promptTokens: number;
  prefix: string;
}

interface Part {
  kind: 'text' | 'image' | 'video';
  text: string;
  url: string;
}

function validateChatRequest(raw: unknown, options: ResolvedFakeVllmOptions): ChatRequest {
  const body = asRecord(raw, 'request body');
  if (body.model !== options.modelName) {
    throw new RequestError(
      404,
      'NotFoundError',
      `The model \`${String(body.model)}\` does not exist.`,
      'model',
    );
  }
  const stream = body.stream === true;
  if (body.stream_options != null && !stream) {
    throw new RequestError(400, 'BadRequestError', 'Stream options can only be defined when `stream=True`.');
  }
  const parts = messageParts(body.messages);
  const images = parts.filter((part) => part.kind === 'image');
  const videos = parts.filter((part) => part.kind === 'video');
  if (images.length > options.maxImages) {
    throw new RequestError(
      400,
      'BadRequestError',
      `At most ${options.maxImages} image(s) may be provided in one prompt.`,
    );
  }
  if (videos.length > 0) {
    throw new RequestError(400, 'BadRequestError', 'At most 0 video(s) may be provided in one prompt.');
  }
  let imageTokens = 0;
  for (const image of images) {
    const { width, height } = imageSize(image.url);
    imageTokens += Math.ceil(width / 32) * Math.ceil(height / 32) + 2;
  }
  const textChars = parts.reduce((sum, part) => sum + part.text.length, 0);
  const promptTokens = imageTokens + Math.ceil(textChars / 4);

  const maxCompletionTokens =
    optionalInteger(body, 'max_completion_tokens', 1) ?? optionalInteger(body, 'max_tokens', 1);
  const thinkingTokenBudget = optionalInteger(body, 'thinking_token_budget', 0);
  const format = responseFormat(body);

  if (promptTokens > options.maxModelLen) {
    throw new RequestError(
      400,
      'BadRequestError',
      `Input length (${promptTokens}) exceeds model's maximum context length (${options.maxModelLen}).`,
    );
  }
  if (maxCompletionTokens !== null && promptTokens + maxCompletionTokens > options.maxModelLen) {
    throw new RequestError(
      400,
      'BadRequestError',
      `This model's maximum context length is ${options.maxModelLen} tokens. However, you requested ` +
        `${promptTokens + maxCompletionTokens} tokens (${promptTokens} in the messages, ${maxCompletionTokens} ` +
        'in the completion). Please reduce the length of the messages or completion.',
    );
  }
  const streamOptions = body.stream_options;
  const includeUsage =
    typeof streamOptions === 'object' &&
    streamOptions !== null &&
    (streamOptions as Record<string, unknown>).include_usage === true;
  return {
    stream,
    includeUsage,
    maxCompletionTokens,
    thinkingTokenBudget,
    ...format,
    promptTokens,
    prefix: splitAroundImages(parts).before,
  };
}

function messageParts(messages: unknown): Part[] {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new RequestError(400, 'BadRequestError', 'messages must be a non-empty array');
  }
  const parts: Part[] = [];
  for (const message of messages) {
    const { role, content } = asRecord(message, 'message');
    if (typeof role !== 'string')
      throw new RequestError(400, 'BadRequestError', 'message.role must be a string');
    if (typeof content === 'string') {
      parts.push({ kind: 'text', text: content, url: '' });
      continue;
    }
    if (content == null) continue;
    if (!Array.isArray(content)) {
      throw new RequestError(400, 'BadRequestError', 'message.content must be a string or an array of parts');
    }
    for (const item of content) {
      const part = asRecord(item, 'content part');
      if (part.type === 'text') {
        if (typeof part.text !== 'string')
          throw new RequestError(400, 'BadRequestError', 'text part needs text');
        parts.push({ kind: 'text', text: part.text, url: '' });
      } else if (part.type === 'image_url' || part.type === 'video_url') {
        const holder = part[part.type];
        const url = typeof holder === 'string' ? holder : asRecord(holder, part.type).url;
        if (typeof url !== 'string')
          throw new RequestError(400, 'BadRequestError', `${part.type}.url must be a string`);
        parts.push({ kind: part.type === 'image_url' ? 'image' : 'video', text: '', url });
      } else {
        throw new RequestError(400, 'BadRequestError', `Unknown part type: ${String(part.type)}`);
      }
    }
  }
  return parts;
}

function splitAroundImages(parts: Part[]): { before: string; after: string } {
  const first = parts.findIndex((part) => part.kind === 'image');
  const texts = (list: Part[]): string =>
    list
      .filter((part) => part.kind === 'text')
      .map((part) => part.text)
      .join('\n');
  if (first < 0) return { before: texts(parts), after: '' };
  const last = parts.length - 1 - [...parts].reverse().findIndex((part) => part.kind === 'image');
  return { before: texts(parts.slice(0, first)), after: texts(parts.slice(last + 1)) };
}

/** Width and height from a base64 data URL's JPEG (SOF marker) or PNG (IHDR) header. */
function imageSize(url: string): { width: number; height: number } {
  const match = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!match || !(match[2] ?? '').split(';').includes('base64')) {
    throw new RequestError(501, 'NotImplementedError', 'Only base64 data URLs are supported for images.');
  }
  const bytes = Buffer.from(match[3] ?? '', 'base64');
  const size = jpegSize(bytes) ?? pngSize(bytes);
  if (!size)
    throw new RequestError(400, 'BadRequestError', 'Failed to load image: not a decodable JPEG or PNG.');
  return size;
}

function jpegSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes.readUInt8(at + 1);
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // image data before any frame header
    const length = bytes.readUInt16BE(at + 2);
    const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
    if (isStartOfFrame) {
      if (at + 9 > bytes.length) return null;
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
    }
    at += 2 + length;
  }
  return null;
}

function pngSize(bytes: Buffer): { width: number; height: number } | null {
  const signature = '89504e470d0a1a0a';
  if (bytes.length < 24 || bytes.subarray(0, 8).toString('hex') !== signature) return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function optionalInteger(body: Record<string, unknown>, key: string, min: number): number | null {
  const value = body[key];
  if (value == null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RequestError(400, 'BadRequestError', `${key} must be an integer >= ${min}`, key);
  }
  return value;
}

const validators = new Map<string, ValidateFunction>();

function responseFormat(body: Record<string, unknown>): { schema?: unknown; jsonObject: boolean } {
  const structured = body.structured_outputs;
  if (typeof structured === 'object' && structured !== null && 'json' in structured) {
    const json = (structured as { json: unknown }).json;
    const schema = typeof json === 'string' ? parseSchemaText(json) : json;
    compileSchema(schema);
    return { schema, jsonObject: false };
  }
  const format = body.response_format;
  if (format == null) return { jsonObject: false };
  const { type, json_schema: jsonSchema } = asRecord(format, 'response_format');
  if (type === 'text') return { jsonObject: false };
  if (type === 'json_object') return { jsonObject: true };
  if (type !== 'json_schema') {
    throw new RequestError(400, 'BadRequestError', `Unknown response_format type: ${String(type)}`);
  }
  const { schema } = asRecord(jsonSchema, 'response_format.json_schema');
  compileSchema(schema);
  return { schema, jsonObject: false };
}

function parseSchemaText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(400, 'BadRequestError', 'structured_outputs.json is not valid JSON');
  }
}

/** Compiles a schema with the project's ajv, like vLLM's grammar backend rejecting a bad one. */
function compileSchema(schema: unknown): ValidateFunction {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw new RequestError(400, 'BadRequestError', 'The JSON schema must be an object.');
  }
  const key = JSON.stringify(schema);
  const cached = validators.get(key);
  if (cached) return cached;
  try {
    // A fresh Ajv per schema: a shared one would refuse a second schema with the same $id.
    const validate = new Ajv({ strict: false, logger: false }).compile(schema);
    if (validators.size > 200) validators.clear();
    validators.set(key, validate);
    return validate;
  } catch (error) {
    throw new RequestError(400, 'BadRequestError', `Invalid JSON schema: ${(error as Error).message}`);
  }
}

function summarize(raw: unknown): FakeVllmRequestSummary {
  const body = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  let parts: Part[] = [];
  try {
    parts = messageParts(body.messages);
  } catch {
    // the validation that follows reports it
  }
  const { before, after } = splitAroundImages(parts);
  const number = (key: string): number | null =>
    typeof body[key] === 'number' ? (body[key] as number) : null;
  const format = body.response_format as { json_schema?: { name?: unknown } } | undefined;
  const name = format?.json_schema?.name;
  const streamOptions = body.stream_options as { include_usage?: unknown } | undefined;
  return {
    model: typeof body.model === 'string' ? body.model : null,
    stream: body.stream === true,
    imageCount: parts.filter((part) => part.kind === 'image').length,
    textBeforeImages: before,
    textAfterImages: after,
    responseFormatName: typeof name === 'string' ? name : null,
    temperature: number('temperature'),
    top_p: number('top_p'),
    top_k: number('top_k'),
    presence_penalty: number('presence_penalty'),
    max_completion_tokens: number('max_completion_tokens'),
    thinking_token_budget: number('thinking_token_budget'),
    include_usage: streamOptions?.include_usage === true,
    receivedAt: Date.now(),
  };
}

// ---------------------------------------------------------------------------------------------
// The text the fake "generates"

const REASONING_WORDS = (
  'The first frame shows the scene from a fixed camera. I compare each frame with the one before, ' +
  'look for people, vehicles and objects that appear or leave, and check whether anything in the ' +
  'window breaks the policy before I settle on a verdict and a confidence.'
).split(' ');

/** `tokens` words of reasoning; the fake counts one token per word. */
function reasoningText(tokens: number): string {
  const words: string[] = [];
  for (let i = 0; i < tokens; i++) words.push(REASONING_WORDS[i % REASONING_WORDS.length] ?? 'frame');
  return words.join(' ');
}

function wordCount(text: string): number {
  return text === '' ? 0 : text.split(' ').length;
}

/** The fake counts content at four characters per token, like its prompt estimate. */
function contentTokensOf(text: string): number {
  return Math.ceil(text.length / 4);
}

/** The whole text of an answer from a server without a reasoning parser: thinking, `</think>`, answer. */
function withoutParser(answer: Answer): string | null {
  if (answer.reasoning === null) return answer.content;
  return answer.content === null ? answer.reasoning : answer.reasoning + THINK_END + answer.content;
}

function splitWords(text: string, perPiece: number): string[] {
  if (text === '') return [];
  const words = text.split(' ');
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += perPiece) {
    pieces.push((i === 0 ? '' : ' ') + words.slice(i, i + perPiece).join(' '));
  }
  return pieces;
}

function splitChars(text: string, perPiece: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += perPiece) pieces.push(text.slice(i, i + perPiece));
  return pieces;
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Fixed, so that the same schema always gives the same instance. */
const EXAMPLE_TIME_MS = Date.UTC(2026, 0, 1, 12, 0, 0);
const TIME_FIELD = /^(timestamp|time|at|start|end|from|to)$|(At|Time|Timestamp)$/;

/**
 * A deterministic instance of a JSON schema: required properties (all of them when the schema
 * lists none), one item per array, the lower end of numeric ranges, the first enum value, and ISO
 * times for date-time strings and time-like field names. Not covered: `pattern`, `not`,
 * `if`/`then`, `dependencies`, `uniqueItems` beyond what distinct items give.
 */
export function exampleFromSchema(schema: unknown): JsonValue {
  return example(schema, schema, '', 0, 0);
}

function example(schema: unknown, root: unknown, name: string, index: number, depth: number): JsonValue {
  if (typeof schema !== 'object' || schema === null || depth > 16) return null;
  let s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') return example(resolveRef(root, s.$ref), root, name, index, depth + 1);
  if (Array.isArray(s.allOf)) s = mergeAllOf(s);
  if ('const' in s) return s.const as JsonValue;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0] as JsonValue;
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) {
      const pick = options.find((option) => (option as { type?: unknown })?.type !== 'null') ?? options[0];
      return example(pick, root, name, index, depth + 1);
    }
  }
  switch (schemaType(s)) {
    case 'object':
      return objectExample(s, root, index, depth);
    case 'array':
      return arrayExample(s, root, name, depth);
    case 'integer':
      return integerExample(s, index);
    case 'number':
      return numberExample(s);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return stringExample(s, name, index);
  }
}

function schemaType(s: Record<string, unknown>): string {
  const type = Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? 'null') : s.type;
  if (typeof type === 'string') return type;
  if ('properties' in s || 'required' in s || 'additionalProperties' in s) return 'object';
  if ('items' in s) return 'array';
  if ('minimum' in s || 'maximum' in s) return 'number';
  return 'string';
}

function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node ?? {};
}

function mergeAllOf(s: Record<string, unknown>): Record<string, unknown> {
  const { allOf, ...rest } = s;
  const merged: Record<string, unknown> = { ...rest };
  for (const part of allOf as unknown[]) {
    if (typeof part !== 'object' || part === null) continue;
    const p = part as Record<string, unknown>;
    Object.assign(merged, p, {
      properties: { ...(merged.properties as object), ...(p.properties as object) },
      required: [...((merged.required as unknown[]) ?? []), ...((p.required as unknown[]) ?? [])],
    });
  }
  return merged;
}

function objectExample(s: Record<string, unknown>, root: unknown, index: number, depth: number): JsonValue {
  const properties = (
    typeof s.properties === 'object' && s.properties !== null ? s.properties : {}
  ) as Record<string, unknown>;
  const keys = Array.isArray(s.required)
    ? s.required.filter((key): key is string => typeof key === 'string')
    : Object.keys(properties);
  const result: { [key: string]: JsonValue } = {};
  for (const key of keys) {
    const extra = typeof s.additionalProperties === 'object' ? s.additionalProperties : {};
    result[key] = example(properties[key] ?? extra, root, key, index, depth + 1);
  }
  return result;
}

function arrayExample(s: Record<string, unknown>, root: unknown, name: string, depth: number): JsonValue {
  if (Array.isArray(s.items)) return s.items.map((item, i) => example(item, root, name, i, depth + 1));
  const min = typeof s.minItems === 'number' ? s.minItems : 0;
  const max = typeof s.maxItems === 'number' ? s.maxItems : Infinity;
  const hasItems = typeof s.items === 'object' && s.items !== null;
  const count = Math.min(max, Math.max(min, hasItems ? 1 : 0));
  const items: JsonValue[] = [];
  for (let i = 0; i < count; i++) items.push(example(hasItems ? s.items : {}, root, name, i, depth + 1));
  return items;
}

function bounds(s: Record<string, unknown>): {
  low?: number;
  high?: number;
  lowOpen: boolean;
  highOpen: boolean;
} {
  const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  const exclusiveLow = num(s.exclusiveMinimum);
  const exclusiveHigh = num(s.exclusiveMaximum);
  return {
    low: exclusiveLow ?? num(s.minimum),
    high: exclusiveHigh ?? num(s.maximum),
    lowOpen: exclusiveLow !== undefined,
    highOpen: exclusiveHigh !== undefined,
  };
}

function integerExample(s: Record<string, unknown>, index: number): number {
  const { low, high, lowOpen, highOpen } = bounds(s);
  const lowest = low === undefined ? undefined : lowOpen ? Math.floor(low) + 1 : Math.ceil(low);
  const highest = high === undefined ? undefined : highOpen ? Math.ceil(high) - 1 : Math.floor(high);
  let value = (lowest ?? Math.min(0, highest ?? 0)) + index;
  if (highest !== undefined) value = Math.min(value, highest);
  const step = typeof s.multipleOf === 'number' && s.multipleOf > 0 ? s.multipleOf : 1;
  return Math.ceil(value / step) * step;
}

function numberExample(s: Record<string, unknown>): number {
  const { low, high, lowOpen, highOpen } = bounds(s);
  let value: number;
  if (low !== undefined && high !== undefined) value = (low + high) / 2;
  else if (low !== undefined) value = lowOpen ? low + 1 : low;
  else if (high !== undefined) value = highOpen ? Math.min(0, high - 1) : Math.min(0, high);
  else value = 0.5;
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0)
    value = Math.ceil(value / s.multipleOf) * s.multipleOf;
  return value;
}

function stringExample(s: Record<string, unknown>, name: string, index: number): string {
  const format = s.format;
  let value: string;
  if (format === 'date-time' || TIME_FIELD.test(name)) {
    // An end is a second after its start, so ranges read sensibly.
    const offset = index * 1000 + (/^(end|to)$|^end|^ended/i.test(name) ? 1000 : 0);
    value = new Date(EXAMPLE_TIME_MS + offset).toISOString();
  } else if (format === 'date') value = '2026-01-01';
  else if (format === 'time') value = '12:00:00Z';
  else if (format === 'email') value = `fake${index}@example.com`;
  else if (format === 'uri' || format === 'url') value = `https://example.com/fake/${index}`;
  else if (format === 'uuid') value = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
  else value = `${name || 'text'}${index > 0 ? ` ${index + 1}` : ''}`;
  const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
  const maxLength = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  return value.padEnd(minLength, 'x').slice(0, maxLength);
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  type: ErrorType,
  message: string,
  param: string | null = null,
) {
  sendJson(res, status, { error: { message, type, param, code: status } });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestError(400, 'BadRequestError', 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestError(400, 'BadRequestError', 'The request body is not valid JSON.');
  }
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestError(400, 'BadRequestError', `${what} must be an object`);
  }
  return value as Record<string, unknown>;
}

function writeRaw(res: ServerResponse, text: string, signal?: AbortSignal): Promise<void> {
  // Waiting for the write to reach the socket keeps the order with a later destroy(). A client
  // that goes away may leave the callback uncalled: the request's signal ends the wait then.
  return new Promise((resolve, reject) => {
    if (res.destroyed || signal?.aborted) return reject(new AbortedError());
    const gone = (): void => reject(new AbortedError());
    signal?.addEventListener('abort', gone, { once: true });
    res.write(text, (error) => {
      signal?.removeEventListener('abort', gone);
      if (error) reject(new AbortedError());
      else resolve();
    });
  });
}

function onAbort(signal: AbortSignal, listener: () => void): void {
  if (signal.aborted) listener();
  else signal.addEventListener('abort', listener, { once: true });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AbortedError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', cancel);
      resolve();
    }, ms);
    const cancel = (): void => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal.addEventListener('abort', cancel, { once: true });
  });
}
