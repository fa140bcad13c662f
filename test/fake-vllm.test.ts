import Ajv from 'ajv';
import sharp from 'sharp';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import { startFakeVllmServer } from './fakes/fake-vllm-server';
import { startFakeVllmProcess, type FakeVllmProcess } from './support/fake-vllm-process';
import { waitFor } from './support/wait-for';

/**
 * The fake vLLM server (test/fakes) against its contract (docs/gpu-node-contract.md), over real
 * HTTP to a separate process, as the inference client's tests use it.
 */
jest.setTimeout(30_000);

const MODEL = 'qwen3-vl-8b-thinking';
const KEY = 'fake-vllm-key';
const THINKING = 40;
const SYSTEM = 'You are a video moderator. Describe the window and answer in JSON.';
const BEFORE = 'Frames of camera 7 follow.';
const AFTER = 'Window 12, frames 0-1.';
/** 448x256 JPEG: ceil(448/32) * ceil(256/32) + 2 tokens. */
const IMAGE_TOKENS = 14 * 8 + 2;

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: number };
}
interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details?: { reasoning_tokens: number };
}
interface Completion {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    message: Record<string, unknown> & { role: string; content: string | null; tool_calls: unknown[] };
    finish_reason: string;
    stop_reason: null;
  }[];
  system_fingerprint: string;
  usage: Usage;
}
interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: Usage;
}

let fake: FakeVllmProcess;
let image: string;
let otherImage: string;
const validateResult = new Ajv({ strict: false, logger: false }).compile(DEFAULT_RESULT_SCHEMA);

beforeAll(async () => {
  const [a, b] = await Promise.all([jpegDataUrl('#c03030'), jpegDataUrl('#3060c0')]);
  image = a;
  otherImage = b;
  fake = await startFakeVllmProcess({ apiKey: KEY, latencyMs: 20, thinkingTokens: THINKING });
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(async () => {
  await fake.control.reset();
  await fake.control.configure({
    latencyMs: 20,
    slots: 16,
    thinkingTokens: THINKING,
    reasoningField: 'reasoning',
    apiKey: KEY,
    maxImages: 8,
    maxModelLen: 32768,
    reasoningParser: true,
    sendsUsage: true,
  });
});

async function jpegDataUrl(background: string): Promise<string> {
  const bytes = await sharp({ create: { width: 448, height: 256, channels: 3, background } })
    .jpeg()
    .toBuffer();
  return `data:image/jpeg;base64,${bytes.toString('base64')}`;
}

interface BodyOptions {
  images?: number;
  imageUrl?: string;
  system?: string;
  schema?: unknown;
  extra?: Record<string, unknown>;
}

/** A request shaped like the inference client's: fixed text, then the frames, then the window's text. */
function chatBody({ images = 2, imageUrl, system = SYSTEM, schema, extra = {} }: BodyOptions = {}) {
  const frames = Array.from({ length: images }, (_, i) => ({
    type: 'image_url',
    image_url: { url: imageUrl ?? (i % 2 === 0 ? image : otherImage) },
  }));
  return {
    model: MODEL,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: [{ type: 'text', text: BEFORE }, ...frames, { type: 'text', text: AFTER }] },
    ],
    ...(schema === undefined
      ? {}
      : {
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'window_result', schema, strict: true },
          },
        }),
    temperature: 0.6,
    top_p: 0.95,
    top_k: 20,
    presence_penalty: 0,
    max_completion_tokens: 4000,
    ...extra,
  };
}

/** The contract's estimate: image tokens plus text characters / 4. */
function promptTokens(images: number, system = SYSTEM): number {
  return images * IMAGE_TOKENS + Math.ceil((system.length + BEFORE.length + AFTER.length) / 4);
}

function chat(body: unknown, init: { key?: string | null; signal?: AbortSignal } = {}): Promise<Response> {
  const key = init.key === undefined ? KEY : init.key;
  return fetch(`${fake.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify(body),
    signal: init.signal,
  });
}

async function chatJson(body: unknown): Promise<Completion> {
  const response = await chat(body);
  expect(response.status).toBe(200);
  return (await response.json()) as Completion;
}

async function expectError(response: Response, status: number, type: string): Promise<ErrorBody['error']> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as ErrorBody;
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error).toMatchObject({ type, code: status });
  return body.error;
}

/** The `data:` payloads of an SSE body, in order. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block !== '')
    .map((block) => {
      if (!block.startsWith('data: ')) throw new Error(`not an SSE data line: ${block}`);
      return block.slice('data: '.length);
    });
}

async function streamChunks(response: Response): Promise<{ chunks: Chunk[]; last: string }> {
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const data = sseData(await response.text());
  return {
    chunks: data.slice(0, -1).map((line) => JSON.parse(line) as Chunk),
    last: data[data.length - 1] ?? '',
  };
}

/** role / reasoning / content / finish / usage, one letter per chunk, to check the order. */
function shapeOf(chunk: Chunk, reasoningField = 'reasoning'): string {
  const choice = chunk.choices[0];
  if (!choice) return chunk.usage ? 'U' : '?';
  if (choice.finish_reason !== null) return 'F';
  if (choice.delta.role === 'assistant' && choice.delta.content === '') return 'R';
  if (typeof choice.delta[reasoningField] === 'string') return 'T';
  if (typeof choice.delta.content === 'string') return 'C';
  return '?';
}

/** The text of one delta field across the chunks that carry it. */
function joined(chunks: Chunk[], field: string): string {
  return chunks
    .map((chunk) => chunk.choices[0]?.delta[field])
    .filter((text): text is string => typeof text === 'string')
    .join('');
}

function words(text: unknown): number {
  return typeof text === 'string' && text !== '' ? text.split(' ').length : 0;
}

async function metrics(): Promise<string> {
  const response = await fetch(`${fake.url}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{engine="0",model_name="${MODEL}"} `));
  if (!line) throw new Error(`no sample for ${name}`);
  return Number(line.split(' ')[1]);
}

describe('fake vLLM: answers', () => {
  it('answers a non-streaming request in vLLM’s shape, with content that fits the schema', async () => {
    const before = Math.floor(Date.now() / 1000);
    const response = await chat(chatBody({ schema: DEFAULT_RESULT_SCHEMA }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Completion;

    expect(body.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(body.object).toBe('chat.completion');
    expect(body.created).toBeGreaterThanOrEqual(before);
    expect(body.created).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(body.model).toBe(MODEL);
    expect(body.system_fingerprint).toMatch(/^vllm-0\.22\.1-/);
    expect(body.choices).toHaveLength(1);
    const choice = body.choices[0]!;
    expect(choice).toMatchObject({ index: 0, finish_reason: 'stop', stop_reason: null });
    expect(Object.keys(choice.message).sort()).toEqual(['content', 'reasoning', 'role', 'tool_calls']);
    expect(choice.message).toMatchObject({ role: 'assistant', tool_calls: [] });
    expect(words(choice.message.reasoning)).toBe(THINKING);

    const content = choice.message.content!;
    const result = JSON.parse(content) as { objects: unknown[]; timestamp: string };
    expect(validateResult(result)).toBe(true);
    expect(result.objects).toHaveLength(1);
    expect(new Date(result.timestamp).toISOString()).toBe(result.timestamp);

    const contentTokens = Math.ceil(content.length / 4);
    expect(body.usage).toEqual({
      prompt_tokens: promptTokens(2),
      completion_tokens: THINKING + contentTokens,
      total_tokens: promptTokens(2) + THINKING + contentTokens,
      completion_tokens_details: { reasoning_tokens: THINKING },
    });
  });

  it('streams the role delta, reasoning deltas, content deltas, the finish, usage only on request, then [DONE]', async () => {
    const withUsage = await streamChunks(
      await chat(
        chatBody({
          schema: DEFAULT_RESULT_SCHEMA,
          extra: { stream: true, stream_options: { include_usage: true } },
        }),
      ),
    );
    expect(withUsage.last).toBe('[DONE]');
    expect(withUsage.chunks.map((chunk) => shapeOf(chunk)).join('')).toMatch(/^RT{2,}C{2,}FU$/);
    const [first] = withUsage.chunks;
    expect(first?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    for (const chunk of withUsage.chunks) {
      expect(chunk).toMatchObject({ id: first?.id, object: 'chat.completion.chunk', model: MODEL });
    }
    expect(words(joined(withUsage.chunks, 'reasoning'))).toBe(THINKING);
    const content = joined(withUsage.chunks, 'content');
    expect(validateResult(JSON.parse(content))).toBe(true);
    expect(withUsage.chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const usageChunk = withUsage.chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toMatchObject({
      prompt_tokens: promptTokens(2),
      completion_tokens: THINKING + Math.ceil(content.length / 4),
    });

    const withoutUsage = await streamChunks(
      await chat(chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { stream: true } })),
    );
    expect(withoutUsage.last).toBe('[DONE]');
    expect(withoutUsage.chunks.map((chunk) => shapeOf(chunk)).join('')).toMatch(/^RT{2,}C{2,}F$/);
    expect(withoutUsage.chunks.some((chunk) => chunk.usage !== undefined)).toBe(false);
  });

  it('without a reasoning parser leaves the thinking in content, closed by </think>, and counts no reasoning tokens', async () => {
    await fake.control.configure({ reasoningParser: false });
    const body = await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA }));
    const message = body.choices[0]!.message;
    expect(message.reasoning).toBeNull();
    const [thinking, answer] = message.content!.split('\n</think>\n\n');
    expect(words(thinking)).toBe(THINKING);
    expect(validateResult(JSON.parse(answer!))).toBe(true);
    expect(body.usage.completion_tokens_details).toBeUndefined();

    const streamed = await streamChunks(
      await chat(
        chatBody({
          schema: DEFAULT_RESULT_SCHEMA,
          extra: { stream: true, stream_options: { include_usage: true } },
        }),
      ),
    );
    expect(streamed.chunks.map((chunk) => shapeOf(chunk)).join('')).toMatch(/^RC{3,}FU$/);
    expect(joined(streamed.chunks, 'reasoning')).toBe('');
    expect(joined(streamed.chunks, 'content')).toBe(message.content);
  });

  it('sends no usage chunk, even when asked, as a server that drops it', async () => {
    await fake.control.configure({ sendsUsage: false });
    const streamed = await streamChunks(
      await chat(
        chatBody({
          schema: DEFAULT_RESULT_SCHEMA,
          extra: { stream: true, stream_options: { include_usage: true } },
        }),
      ),
    );
    expect(streamed.last).toBe('[DONE]');
    expect(streamed.chunks.map((chunk) => shapeOf(chunk)).join('')).toMatch(/^RT{2,}C{2,}F$/);
  });

  it('names the reasoning reasoning_content when configured as an older server', async () => {
    await fake.control.configure({ reasoningField: 'reasoning_content' });
    const body = await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA }));
    const message = body.choices[0]!.message;
    expect(words(message.reasoning_content)).toBe(THINKING);
    expect('reasoning' in message).toBe(false);

    const streamed = await streamChunks(
      await chat(chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { stream: true } })),
    );
    expect(streamed.chunks.map((chunk) => shapeOf(chunk, 'reasoning_content')).join('')).toMatch(
      /^RT{2,}C{2,}F$/,
    );
    expect(streamed.chunks.some((chunk) => 'reasoning' in (chunk.choices[0]?.delta ?? {}))).toBe(false);
  });

  it('caps the reasoning at thinking_token_budget', async () => {
    const body = await chatJson(
      chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { thinking_token_budget: 10 } }),
    );
    expect(words(body.choices[0]!.message.reasoning)).toBe(10);
    expect(body.usage.completion_tokens_details).toEqual({ reasoning_tokens: 10 });
  });

  it('returns scripted results verbatim and in order, then generates again', async () => {
    const first = { verdict: 'violation', note: 'scripted one' };
    const second = { verdict: 'review', nested: { list: [1, 2, 3] } };
    await fake.control.queueResults(first, second);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA })));
    expect(answers[0]!.choices[0]!.message.content).toBe(JSON.stringify(first));
    expect(answers[1]!.choices[0]!.message.content).toBe(JSON.stringify(second));
    expect(validateResult(JSON.parse(answers[2]!.choices[0]!.message.content!))).toBe(true);
  });

  it('answers in plain text without a response_format', async () => {
    const body = await chatJson(chatBody());
    const content = body.choices[0]!.message.content!;
    expect(content.length).toBeGreaterThan(10);
    expect(() => JSON.parse(content)).toThrow();
  });

  it('stops with length and no content when max_completion_tokens runs out while thinking', async () => {
    const body = await chatJson(
      chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { max_completion_tokens: 10 } }),
    );
    const choice = body.choices[0]!;
    expect(choice.finish_reason).toBe('length');
    expect(choice.message.content).toBeNull();
    expect(words(choice.message.reasoning)).toBe(10);
    expect(body.usage.completion_tokens).toBe(10);

    const streamed = await streamChunks(
      await chat(
        chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { max_completion_tokens: 10, stream: true } }),
      ),
    );
    expect(streamed.chunks.map((chunk) => shapeOf(chunk)).join('')).toMatch(/^RT+F$/);
    expect(streamed.chunks.at(-1)?.choices[0]?.finish_reason).toBe('length');
  });

  it('stops with length and truncated JSON when it runs out in the content', async () => {
    const body = await chatJson(
      chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { max_completion_tokens: THINKING + 5 } }),
    );
    const choice = body.choices[0]!;
    expect(choice.finish_reason).toBe('length');
    expect(choice.message.content).toHaveLength(20);
    expect(() => JSON.parse(choice.message.content!)).toThrow();
    expect(body.usage.completion_tokens).toBe(THINKING + 5);
  });

  it('records what each request asked for', async () => {
    await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { thinking_token_budget: 64 } }));
    await streamChunks(
      await chat(chatBody({ images: 3, extra: { stream: true, stream_options: { include_usage: true } } })),
    );
    const stats = await fake.control.stats();
    expect(stats.received).toBe(2);
    expect(stats.completed).toBe(2);
    expect(stats.requests).toHaveLength(2);
    expect(stats.requests[0]).toMatchObject({
      model: MODEL,
      stream: false,
      imageCount: 2,
      textBeforeImages: `${SYSTEM}\n${BEFORE}`,
      textAfterImages: AFTER,
      responseFormatName: 'window_result',
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
      presence_penalty: 0,
      max_completion_tokens: 4000,
      thinking_token_budget: 64,
      include_usage: false,
    });
    expect(stats.requests[1]).toMatchObject({
      stream: true,
      imageCount: 3,
      include_usage: true,
      responseFormatName: null,
    });
    expect(Math.abs(stats.requests[1]!.receivedAt - Date.now())).toBeLessThan(10_000);
  });
});

describe('fake vLLM: rejections', () => {
  it('refuses more images than --limit-mm-per-prompt allows', async () => {
    await fake.control.configure({ maxImages: 2 });
    const error = await expectError(await chat(chatBody({ images: 3 })), 400, 'BadRequestError');
    expect(error.message).toBe('At most 2 image(s) may be provided in one prompt.');
    await chatJson(chatBody({ images: 2 }));
  });

  it('refuses a request longer than the context, with vLLM’s two messages', async () => {
    await fake.control.configure({ maxModelLen: 400 });
    const prompt = promptTokens(2);
    const tooLong = await expectError(
      await chat(chatBody({ extra: { max_completion_tokens: 400 - prompt + 1 } })),
      400,
      'BadRequestError',
    );
    expect(tooLong.message).toMatch(
      new RegExp(`^This model's maximum context length is 400 tokens\\. However, you requested 401 tokens `),
    );
    const input = await expectError(await chat(chatBody({ images: 4 })), 400, 'BadRequestError');
    expect(input.message).toBe(
      `Input length (${promptTokens(4)}) exceeds model's maximum context length (400).`,
    );
    await chatJson(chatBody({ extra: { max_completion_tokens: 400 - prompt } }));
  });

  it('refuses an invalid JSON schema', async () => {
    const error = await expectError(
      await chat(chatBody({ schema: { type: 'objekt', properties: { a: { type: 'string' } } } })),
      400,
      'BadRequestError',
    );
    expect(error.message).toMatch(/schema/i);
  });

  it('guards /v1 with the API key, answering 401 with the plain body', async () => {
    for (const key of [null, 'wrong-key']) {
      const response = await chat(chatBody(), { key });
      expect(response.status).toBe(401);
      expect(await response.text()).toBe('{"error":"Unauthorized"}');
    }
    expect((await fetch(`${fake.url}/v1/models`)).status).toBe(401);
    for (const open of ['/health', '/version', '/metrics']) {
      expect((await fetch(`${fake.url}${open}`)).status).toBe(200);
    }
    expect((await fake.control.stats()).received).toBe(0);
  });

  it('answers 404 NotFoundError for an unknown model', async () => {
    const error = await expectError(await chat({ ...chatBody(), model: 'gpt-4o' }), 404, 'NotFoundError');
    expect(error.param).toBe('model');
  });

  it('answers 501 for an image that is not a base64 data URL', async () => {
    const response = await chat(chatBody({ images: 1, imageUrl: 'https://example.com/frame.jpg' }));
    expect(response.status).toBe(501);
    expect(((await response.json()) as ErrorBody).error.code).toBe(501);
  });
});

describe('fake vLLM: faults', () => {
  it('http-500 fails the next requests, then it answers again', async () => {
    await fake.control.addFaults({ kind: 'http-500', count: 2 });
    await expectError(await chat(chatBody()), 500, 'InternalServerError');
    await expectError(await chat(chatBody()), 500, 'InternalServerError');
    await chatJson(chatBody());
    expect((await fake.control.stats()).pendingFaults).toEqual([]);
  });

  it('garbage answers 200 with a body that is not JSON, or a stream line that is not', async () => {
    await fake.control.addFaults({ kind: 'garbage', count: 2 });
    const plain = await chat(chatBody());
    expect(plain.status).toBe(200);
    const text = await plain.text();
    expect(() => JSON.parse(text)).toThrow();

    const streamed = await chat(chatBody({ extra: { stream: true } }));
    expect(streamed.status).toBe(200);
    const data = sseData(await streamed.text()).filter((line) => line !== '[DONE]');
    expect(data.filter((line) => !isJson(line))).toHaveLength(1);
  });

  it('html-page answers 200 with an HTML page, also to a streamed request', async () => {
    await fake.control.addFaults({ kind: 'html-page', count: 2 });
    for (const extra of [{}, { stream: true }]) {
      const response = await chat(chatBody({ extra }));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
    }
  });

  it('wrong-shape streams JSON chunks of the legacy completions shape (text, no delta), then [DONE]', async () => {
    await fake.control.addFaults('wrong-shape');
    const response = await chat(chatBody({ schema: DEFAULT_RESULT_SCHEMA, extra: { stream: true } }));
    expect(response.status).toBe(200);
    const data = sseData(await response.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(1, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(chunk.object).toBe('text_completion');
      expect((chunk.choices as Record<string, unknown>[])[0]).not.toHaveProperty('delta');
    }
  });

  it('truncated-stream ends the response cleanly half-way through an event, without [DONE]', async () => {
    await fake.control.addFaults('truncated-stream');
    const response = await chat(chatBody({ extra: { stream: true } }));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain('[DONE]');
    expect(text.endsWith('\n\n')).toBe(false);
    expect(isJson(text.slice(text.lastIndexOf('data: ') + 'data: '.length))).toBe(false);
  });

  it.each(['runaway-reasoning', 'runaway-content'] as const)(
    '%s keeps streaming past max_completion_tokens until the client goes away',
    async (kind) => {
      await fake.control.addFaults(kind);
      const controller = new AbortController();
      const response = await chat(chatBody({ extra: { stream: true, max_completion_tokens: 100 } }), {
        signal: controller.signal,
      });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      while (received.length < 2 * 1024 * 1024) {
        const { value } = await reader.read();
        received += decoder.decode(value, { stream: true });
      }
      controller.abort();
      const field = kind === 'runaway-reasoning' ? 'reasoning' : 'content';
      const chunks = sseData(received.slice(0, received.lastIndexOf('\n\n') + 2)).map(
        (line) => JSON.parse(line) as Chunk,
      );
      expect(joined(chunks, field).length).toBeGreaterThan(1024 * 1024);
      await waitFor(async () => (await fake.control.stats()).aborted === 1, 5_000);
      const stats = await fake.control.stats();
      expect(stats.completed).toBe(0);
      expect(stats.sentBytes).toBeLessThan(32 * 1024 * 1024);
    },
  );

  it('die-mid-stream sends a few reasoning deltas and then drops the connection', async () => {
    await fake.control.addFaults({ kind: 'die-mid-stream', count: 2 });
    const response = await chat(chatBody({ extra: { stream: true } }));
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += decoder.decode(value, { stream: true });
        }
      })(),
    ).rejects.toThrow();
    const chunks = received
      .split('\n\n')
      .filter(Boolean)
      .map((block) => JSON.parse(block.slice('data: '.length)) as Chunk);
    expect(chunks.map((chunk) => shapeOf(chunk)).join('')).toMatch(/^RT+$/);
    expect(received).not.toContain('[DONE]');

    await expect(chat(chatBody())).rejects.toThrow();
    await waitFor(async () => (await fake.control.stats()).aborted === 2, 5_000);
  });

  it('stream-error sends an error event with HTTP 200, then [DONE]', async () => {
    await fake.control.addFaults('stream-error');
    const response = await chat(chatBody({ extra: { stream: true } }));
    expect(response.status).toBe(200);
    const data = sseData(await response.text());
    expect(data.at(-1)).toBe('[DONE]');
    const events = data.slice(0, -1).map((line) => JSON.parse(line) as Chunk & Partial<ErrorBody>);
    const last = events.at(-1)!;
    expect(last.error).toMatchObject({ type: 'InternalServerError', code: 500 });
    expect(
      events
        .slice(0, -1)
        .map((chunk) => shapeOf(chunk))
        .join(''),
    ).toMatch(/^RT+$/);
  });

  it('hang never answers: the client gives up and the slot is freed', async () => {
    await fake.control.addFaults('hang');
    const pending = chat(chatBody({ extra: { stream: true } }), { signal: AbortSignal.timeout(1_500) });
    const settled = pending.then(
      () => 'answered',
      (error: Error) => error.name,
    );
    await waitFor(async () => (await fake.control.stats()).running === 1, 5_000);
    expect(await settled).toBe('TimeoutError');
    await waitFor(async () => {
      const stats = await fake.control.stats();
      return stats.running === 0 && stats.aborted === 1;
    }, 5_000);
    await chatJson(chatBody());
  });

  it('length fault stops with length and null content', async () => {
    await fake.control.addFaults('length');
    const body = await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA }));
    expect(body.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: null } });
  });

  it('invalid-json-content stops normally with content that is not JSON', async () => {
    await fake.control.addFaults('invalid-json-content');
    const body = await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA }));
    expect(body.choices[0]!.finish_reason).toBe('stop');
    expect(() => JSON.parse(body.choices[0]!.message.content!)).toThrow();
  });

  it('engine-dead turns /health to 503 and chat to 500 until cleared', async () => {
    await fake.control.addFaults('engine-dead');
    expect((await fetch(`${fake.url}/health`)).status).toBe(503);
    await expectError(await chat(chatBody()), 500, 'InternalServerError');
    await expectError(await chat(chatBody()), 500, 'InternalServerError');
    await fake.control.clearFaults();
    const health = await fetch(`${fake.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    await chatJson(chatBody());
  });
});

describe('fake vLLM: endpoints and load', () => {
  it('lists the served model and its version', async () => {
    const models = await fetch(`${fake.url}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(models.status).toBe(200);
    expect(await models.json()).toMatchObject({
      object: 'list',
      data: [
        {
          id: MODEL,
          object: 'model',
          owned_by: 'vllm',
          root: 'Qwen/Qwen3-VL-8B-Thinking',
          max_model_len: 32768,
          created: expect.any(Number),
        },
      ],
    });
    expect(await (await fetch(`${fake.url}/version`)).json()).toEqual({ version: '0.22.1' });
  });

  it('exports vLLM’s metrics, counting tokens and prefix-cache hits', async () => {
    const families: [string, string][] = [
      ['vllm:num_requests_running', 'gauge'],
      ['vllm:num_requests_waiting', 'gauge'],
      ['vllm:kv_cache_usage_perc', 'gauge'],
      ['vllm:prefix_cache_queries_total', 'counter'],
      ['vllm:prefix_cache_hits_total', 'counter'],
      ['vllm:generation_tokens_total', 'counter'],
      ['vllm:prompt_tokens_total', 'counter'],
    ];
    const initial = await metrics();
    for (const [name, type] of families) {
      expect(initial).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(initial).toContain(`# TYPE ${name} ${type}\n`);
      expect(metric(initial, name)).toBe(0);
    }

    const first = await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA }));
    const afterFirst = await metrics();
    expect(metric(afterFirst, 'vllm:prompt_tokens_total')).toBe(first.usage.prompt_tokens);
    expect(metric(afterFirst, 'vllm:generation_tokens_total')).toBe(first.usage.completion_tokens);
    expect(metric(afterFirst, 'vllm:prefix_cache_queries_total')).toBe(first.usage.prompt_tokens);
    expect(metric(afterFirst, 'vllm:prefix_cache_hits_total')).toBe(0);

    await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA }));
    const hits = metric(await metrics(), 'vllm:prefix_cache_hits_total');
    expect(hits).toBe(Math.ceil(`${SYSTEM}\n${BEFORE}`.length / 4));

    await chatJson(chatBody({ schema: DEFAULT_RESULT_SCHEMA, system: 'A different system prompt.' }));
    expect(metric(await metrics(), 'vllm:prefix_cache_hits_total')).toBe(hits);
  });

  it('queues requests beyond its slots (no 429), never running more than the slots', async () => {
    const slots = 2;
    await fake.control.configure({ slots, latencyMs: 300 });
    let maxRunning = 0;
    let maxWaiting = 0;
    const responses = Promise.all(Array.from({ length: 6 }, () => chat(chatBody())));
    await waitFor(async () => {
      const text = await metrics();
      maxRunning = Math.max(maxRunning, metric(text, 'vllm:num_requests_running'));
      maxWaiting = Math.max(maxWaiting, metric(text, 'vllm:num_requests_waiting'));
      expect(metric(text, 'vllm:kv_cache_usage_perc')).toBeLessThanOrEqual(1);
      return maxWaiting > 0;
    }, 5_000);
    expect((await responses).map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(maxRunning).toBeLessThanOrEqual(slots);
    const stats = await fake.control.stats();
    expect(stats.maxRunning).toBe(slots);
    expect(stats.maxWaiting).toBe(4);
    expect(stats.waitingSamples).toBeGreaterThan(0);
    expect(stats.completed).toBe(6);
    const after = await metrics();
    expect(metric(after, 'vllm:num_requests_running')).toBe(0);
    expect(metric(after, 'vllm:num_requests_waiting')).toBe(0);
  });
});

describe('fake vLLM: the process', () => {
  it('takes its options from the environment and stops on SIGTERM', async () => {
    const other = await startFakeVllmProcess({ modelName: 'other-model', latencyMs: 0 });
    try {
      expect(other.pid).not.toBe(process.pid);
      expect(other.pid).not.toBe(fake.pid);
      const models = (await (await fetch(`${other.url}/v1/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((model) => model.id)).toEqual(['other-model']);
    } finally {
      await other.stop();
    }
    await expect(fetch(`${other.url}/health`)).rejects.toThrow();
  });

  it('in process, close() also ends requests that hang', async () => {
    const server = await startFakeVllmServer({ latencyMs: 0 });
    await fetch(`${server.url}/__fake/faults`, {
      method: 'POST',
      body: JSON.stringify({ faults: ['hang'] }),
    });
    const hanging = fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...chatBody(), stream: false }),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitFor(() => server.stats().running === 1, 5_000);
    await server.close();
    expect(await hanging).toBe('failed');
    expect(server.stats()).toMatchObject({ running: 0, aborted: 1 });
  });

  it('can be killed like a crashing node', async () => {
    const doomed = await startFakeVllmProcess({ latencyMs: 0 });
    expect((await fetch(`${doomed.url}/health`)).status).toBe(200);
    await doomed.kill();
    await expect(fetch(`${doomed.url}/health`)).rejects.toThrow();
  });
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
