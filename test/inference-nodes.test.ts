import pino from 'pino';
import sharp from 'sharp';
import { Agent } from 'undici';
import { NodeDefinition, parseConfiguredNodes } from '../src/config/node-definition';
import { NodePool } from '../src/inference/gpu/node-pool';
import { analyseOnNodes } from '../src/inference/gpu/vlm-analyser';
import {
  buildChatBody,
  checkHealth,
  InferenceError,
  listModels,
  readNodeLoad,
  streamChatCompletion,
} from '../src/inference/gpu/vllm-client';
import { buildChatSpec, PromptVersion } from '../src/inference/gpu/window-prompt';
import { DEFAULT_RESULT_SCHEMA } from '../src/templates/result-schema';
import { FakeVllmProcess, startFakeVllmProcess } from './support/fake-vllm-process';
import { waitFor } from './support/wait-for';

/**
 * The inference client and the node pool against fake vLLM nodes, each its own process speaking
 * the wire contract (test/fakes/fake-vllm-server.ts).
 */
const MODEL = 'qwen3-vl-8b-thinking';
const logger = pino({ level: 'silent' });

const version: PromptVersion & { id: string } = {
  id: '0193c0de-0000-7000-8000-0000000000aa',
  systemText: 'You watch a lawn.',
  instructionText: 'Report people on {{streamName}}.',
  resultSchema: DEFAULT_RESULT_SCHEMA,
  mode: 'THINKING',
  modelName: MODEL,
  temperature: 0.6,
  topP: 0.95,
  topK: 20,
  presencePenalty: 0,
  maxCompletionTokens: 2048,
  thinkingTokenBudget: 1024,
};

let jpeg: Buffer;
const frames = (count: number): { jpeg: Buffer; capturedAt: Date; skippedBefore: number }[] =>
  Array.from({ length: count }, (_, index) => ({
    jpeg,
    capturedAt: new Date(Date.UTC(2026, 10, 21, 10, 0, index)),
    skippedBefore: 0,
  }));
const spec = (count = 4, budget?: { maxCompletionTokens: number; thinkingTokenBudget: number }) =>
  buildChatSpec(version, { streamName: 'Lawn', policyText: '' }, frames(count), budget);

function definition(
  name: string,
  fake: FakeVllmProcess,
  extra: Partial<NodeDefinition> = {},
): NodeDefinition {
  return {
    name,
    url: fake.url,
    apiKey: null,
    model: MODEL,
    maxConcurrency: 4,
    weight: 1,
    state: 'ACTIVE',
    source: 'config',
    ...extra,
  };
}

const alwaysValid = (): null => null;

/** The InferenceError a call ends with; fails the test if it succeeded. */
async function failureOf(call: Promise<unknown>): Promise<InferenceError> {
  const outcome = await call.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(outcome instanceof InferenceError))
    throw new Error(`expected an InferenceError, got ${String(outcome)}`);
  return outcome;
}

describe('vLLM client against a fake node', () => {
  let fake: FakeVllmProcess;
  const dispatcher = new Agent();
  const endpoint = (): { name: string; url: string; apiKey: string | null } => ({
    name: 'fake',
    url: fake.url,
    apiKey: 'node-secret',
  });
  const call = { dispatcher, requestTimeoutMs: 10_000, idleTimeoutMs: 5_000 };

  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 448, height: 256, channels: 3, background: '#3a7' } })
      .jpeg()
      .toBuffer();
    fake = await startFakeVllmProcess({ apiKey: 'node-secret', latencyMs: 50, slots: 4 });
  }, 60_000);
  afterAll(async () => {
    await fake.stop();
    await dispatcher.close();
  });
  afterEach(async () => {
    await fake.control.reset();
    await fake.control.configure({
      reasoningField: 'reasoning',
      latencyMs: 50,
      reasoningParser: true,
      sendsUsage: true,
    });
  });

  it('streams reasoning as it arrives and returns content, usage and finish reason', async () => {
    const deltas: string[] = [];
    const outcome = await streamChatCompletion(endpoint(), buildChatBody(spec()), {
      ...call,
      onReasoning: (delta) => deltas.push(delta),
    });
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(outcome.reasoning);
    expect(outcome.reasoning.length).toBeGreaterThan(20);
    expect(outcome.finishReason).toBe('stop');
    expect(JSON.parse(outcome.content!)).toHaveProperty('objects');
    expect(outcome.usage!.promptTokens).toBeGreaterThan(4 * 14 * 8);
    expect(outcome.usage!.reasoningTokens).toBeGreaterThan(0);
    expect(outcome.model).toBe(MODEL);
    const [seen] = (await fake.control.stats()).requests;
    expect(seen).toMatchObject({
      imageCount: 4,
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
      presence_penalty: 0,
      max_completion_tokens: 2048,
      thinking_token_budget: 1024,
      include_usage: true,
      stream: true,
    });
    expect(seen!.textBeforeImages).toContain('Report people on Lawn.');
    expect(seen!.textAfterImages).toContain('frame 3: 2026-11-21T10:00:03.000Z');
  });

  it('reads reasoning_content from an older server', async () => {
    await fake.control.configure({ reasoningField: 'reasoning_content' });
    const outcome = await streamChatCompletion(endpoint(), buildChatBody(spec()), call);
    expect(outcome.reasoning.length).toBeGreaterThan(20);
    // Old servers report no reasoning tokens.
    expect(outcome.usage!.reasoningTokens).toBeNull();
  });

  it('gives null content when the budget ran out while thinking', async () => {
    await fake.control.addFaults('length');
    const outcome = await streamChatCompletion(endpoint(), buildChatBody(spec()), call);
    expect(outcome.finishReason).toBe('length');
    expect(outcome.content).toBeNull();
  });

  it.each([
    ['too many images', () => buildChatBody(spec(9)), 'At most 8 image'],
    [
      'a context that does not fit',
      () => buildChatBody(spec(4, { maxCompletionTokens: 40_000, thinkingTokenBudget: 1 })),
      'maximum context length',
    ],
    [
      'an invalid schema',
      () => ({
        ...buildChatBody(spec()),
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'nope' } } },
      }),
      '',
    ],
  ])('types a 400 for %s as a bad request that is not retried', async (_case, body, message) => {
    const error = await streamChatCompletion(endpoint(), body(), call).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceError);
    expect((error as InferenceError).kind).toBe('bad-request');
    expect((error as InferenceError).status).toBe(400);
    expect((error as InferenceError).retryable).toBe(false);
    expect((error as InferenceError).message).toContain(message);
  });

  it('types 401 (plain body), 500, garbage, a stream error and a node dying mid-stream', async () => {
    const unauthorized = await failureOf(
      streamChatCompletion({ ...endpoint(), apiKey: 'wrong' }, buildChatBody(spec()), call),
    );
    expect([unauthorized.kind, unauthorized.message]).toEqual(['unauthorized', 'Unauthorized']);
    for (const [fault, kind] of [
      ['http-500', 'server-error'],
      ['garbage', 'protocol'],
      ['stream-error', 'server-error'],
      // The socket closes under the stream: a connection failure, as with a real node that dies.
      ['die-mid-stream', 'connection'],
    ] as const) {
      await fake.control.addFaults(fault);
      const error = await failureOf(streamChatCompletion(endpoint(), buildChatBody(spec()), call));
      expect([fault, error.kind]).toEqual([fault, kind]);
      expect(error.retryable).toBe(true);
    }
  });

  it.each([
    ['html-page', /answered text\/html instead of an event stream: <!DOCTYPE html>/],
    ['wrong-shape', /not a chat\.completion\.chunk/],
    ['truncated-stream', /ended before \[DONE\]/],
  ] as const)(
    'types protocol garbage (%s) as a protocol error that counts against the node',
    async (fault, message) => {
      await fake.control.addFaults(fault);
      const error = await failureOf(streamChatCompletion(endpoint(), buildChatBody(spec()), call));
      expect(error.kind).toBe('protocol');
      expect(error.message).toMatch(message);
      expect(error.retryable).toBe(true);
      expect(error.nodeFault).toBe(true);
    },
  );

  it.each([
    ['runaway-reasoning', 'reasoning', 'reasoning_cap'],
    ['runaway-content', 'content', 'content_cap'],
  ] as const)(
    'stops reading a %s at its cap, aborts the request and keeps no more than the cap',
    async (fault, part, finishReason) => {
      await fake.control.addFaults(fault);
      const caps = { reasoningChars: 50_000, contentChars: 20_000 };
      const deltas: string[] = [];
      const outcome = await streamChatCompletion(endpoint(), buildChatBody(spec()), {
        ...call,
        caps,
        onReasoning: (delta) => deltas.push(delta),
      });
      expect(outcome).toMatchObject({ capped: part, finishReason });
      expect(outcome.reasoning.length).toBeLessThanOrEqual(caps.reasoningChars);
      expect((outcome.content ?? '').length).toBeLessThanOrEqual(caps.contentChars);
      expect(part === 'reasoning' ? outcome.reasoning.length : outcome.content!.length).toBe(
        part === 'reasoning' ? caps.reasoningChars : caps.contentChars,
      );
      expect(deltas.join('')).toBe(outcome.reasoning);
      // The node saw the client go away long before its 64 MB.
      await waitFor(async () => (await fake.control.stats()).aborted === 1, 5_000);
      expect((await fake.control.stats()).sentBytes).toBeLessThan(16 * 1024 * 1024);
    },
  );

  it('separates the thinking a node without a reasoning parser leaves in content', async () => {
    await fake.control.configure({ reasoningParser: false });
    const deltas: string[] = [];
    const outcome = await streamChatCompletion(endpoint(), buildChatBody(spec()), {
      ...call,
      onReasoning: (delta) => deltas.push(delta),
    });
    expect(outcome.thinkingInContent).toBe(true);
    expect(outcome.reasoning).toMatch(/^The first frame shows/);
    expect(outcome.reasoning).not.toContain('</think>');
    expect(deltas.join('')).toBe(outcome.reasoning);
    expect(JSON.parse(outcome.content!)).toHaveProperty('objects');
  });

  it('reports no usage (null) when the node sends no usage chunk', async () => {
    await fake.control.configure({ sendsUsage: false });
    const outcome = await streamChatCompletion(endpoint(), buildChatBody(spec()), call);
    expect(outcome.usage).toBeNull();
    expect(outcome.finishReason).toBe('stop');
  });

  it('times out a node that hangs', async () => {
    await fake.control.addFaults('hang');
    const started = Date.now();
    const error = await failureOf(
      streamChatCompletion(endpoint(), buildChatBody(spec()), {
        ...call,
        idleTimeoutMs: 600,
      }),
    );
    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reaches a node configured with the /v1 URL vLLM prints (not /v1/v1)', async () => {
    const [node] = parseConfiguredNodes(
      JSON.stringify([{ name: 'fake-v1', url: `${fake.url}/v1/`, apiKey: 'node-secret', model: MODEL }]),
    );
    expect(node!.url).toBe(fake.url);
    expect(await listModels(node!, dispatcher, 2_000)).toEqual([{ id: MODEL, maxModelLen: 32768 }]);
    const outcome = await streamChatCompletion(node!, buildChatBody(spec(1)), call);
    expect(outcome.content).toBeTruthy();
  });

  it('reads /health, /v1/models and the load in /metrics', async () => {
    expect(await checkHealth(endpoint(), dispatcher, 2_000)).toBe(true);
    expect(await listModels(endpoint(), dispatcher, 2_000)).toEqual([{ id: MODEL, maxModelLen: 32768 }]);
    await fake.control.configure({ latencyMs: 1_500 });
    const inFlight = Array.from({ length: 6 }, () =>
      streamChatCompletion(endpoint(), buildChatBody(spec(1)), call).catch(() => null),
    );
    await waitFor(async () => (await readNodeLoad(endpoint(), dispatcher, 2_000)).waiting === 2, 5_000);
    const load = await readNodeLoad(endpoint(), dispatcher, 2_000);
    expect(load).toMatchObject({ running: 4, waiting: 2 });
    expect(load.kvCacheUsage).toBeGreaterThan(0);
    await Promise.all(inFlight);
    await fake.control.addFaults('engine-dead');
    expect(await checkHealth(endpoint(), dispatcher, 2_000)).toBe(false);
  });
});

describe('node pool and failover', () => {
  const fakes: FakeVllmProcess[] = [];
  let pool: NodePool;

  beforeAll(async () => {
    jpeg ??= await sharp({ create: { width: 448, height: 256, channels: 3, background: '#3a7' } })
      .jpeg()
      .toBuffer();
    fakes.push(
      ...(await Promise.all([0, 1, 2].map(() => startFakeVllmProcess({ latencyMs: 150, slots: 4 })))),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all(fakes.map((fake) => fake.stop()));
  });
  beforeEach(async () => {
    await Promise.all(fakes.map((fake) => fake.control.reset()));
    pool = new NodePool({ pollIntervalMs: 300, breakerFailures: 2, breakerOpenMs: 800, logger });
  });
  /** Three node attempts, quick timeouts, any answer valid. */
  const quick = { maxAttempts: 3, requestTimeoutMs: 5_000, idleTimeoutMs: 2_000, validate: alwaysValid };
  afterEach(async () => {
    await pool.close();
  });

  it('spreads load over nodes and never exceeds a node’s concurrency', async () => {
    pool.setDefinitions(fakes.map((fake, i) => definition(`n${i}`, fake, { maxConcurrency: 3 })));
    await pool.start();
    const outcomes = await Promise.all(
      Array.from({ length: 27 }, () =>
        analyseOnNodes(pool, () => spec(2), {
          maxAttempts: 2,
          requestTimeoutMs: 10_000,
          idleTimeoutMs: 5_000,
          validate: alwaysValid,
        }),
      ),
    );
    expect(outcomes.every((outcome) => outcome.kind === 'done')).toBe(true);
    const stats = await Promise.all(fakes.map((fake) => fake.control.stats()));
    for (const stat of stats) {
      expect(stat.received).toBeGreaterThanOrEqual(6);
      expect(stat.maxRunning).toBeLessThanOrEqual(3);
      // The pool's own limit keeps vLLM's waiting queue empty.
      expect(stat.maxWaiting).toBe(0);
    }
    expect(stats.reduce((sum, stat) => sum + stat.received, 0)).toBe(27);
  });

  it('leaves out a node other workers keep busy (its /metrics waiting queue)', async () => {
    pool.setDefinitions(fakes.slice(0, 2).map((fake, i) => definition(`n${i}`, fake, { maxConcurrency: 4 })));
    await fakes[0]!.control.configure({ latencyMs: 3_000 });
    // "Another worker" fills n0 beyond its slots.
    const other = new Agent();
    const busy = Array.from({ length: 7 }, () =>
      streamChatCompletion({ name: 'n0', url: fakes[0]!.url, apiKey: null }, buildChatBody(spec(1)), {
        dispatcher: other,
        requestTimeoutMs: 20_000,
        idleTimeoutMs: 20_000,
      }).catch(() => null),
    );
    await waitFor(async () => (await fakes[0]!.control.stats()).waiting >= 3, 5_000);
    await pool.start();
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () =>
        analyseOnNodes(pool, () => spec(1), {
          maxAttempts: 1,
          requestTimeoutMs: 10_000,
          idleTimeoutMs: 5_000,
          validate: alwaysValid,
        }),
      ),
    );
    expect(outcomes.map((outcome) => outcome.node)).toEqual(['n1', 'n1', 'n1', 'n1']);
    await fakes[0]!.control.configure({ latencyMs: 150 });
    await Promise.all(busy);
    await other.close();
  });

  it('moves a window off a hung or failing node, opens its breaker, and probes it half-open', async () => {
    pool.setDefinitions([definition('bad', fakes[0]!), definition('good', fakes[1]!)]);
    await pool.start();
    await fakes[0]!.control.addFaults({ kind: 'hang', count: 1 }, { kind: 'http-500', count: 10 });
    const attempts: string[] = [];
    const options = {
      maxAttempts: 3,
      requestTimeoutMs: 10_000,
      idleTimeoutMs: 500,
      backoffMs: 10,
      validate: alwaysValid,
    };
    // Six windows at once: least-outstanding routing gives both nodes first attempts.
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () =>
        analyseOnNodes(pool, () => spec(1), { ...options, onAttempt: (_n, node) => attempts.push(node) }),
      ),
    );
    expect(outcomes.every((outcome) => outcome.kind === 'done' && outcome.node === 'good')).toBe(true);
    expect(attempts).toContain('bad');
    expect(pool.status().find((node) => node.name === 'bad')!.breaker).toBe('open');
    // While open, nothing goes to it.
    const before = (await fakes[0]!.control.stats()).received;
    await analyseOnNodes(pool, () => spec(1), options);
    expect((await fakes[0]!.control.stats()).received).toBe(before);
    // After breakerOpenMs one probe goes; once it succeeds the breaker closes.
    await fakes[0]!.control.clearFaults();
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(pool.status().find((node) => node.name === 'bad')!.breaker).toBe('half-open');
    await Promise.all(Array.from({ length: 8 }, () => analyseOnNodes(pool, () => spec(1), options)));
    expect(pool.status().find((node) => node.name === 'bad')!.breaker).toBe('closed');
    expect((await fakes[0]!.control.stats()).received).toBeGreaterThan(before);
  });

  it('answers unavailable when every node is down or none serves the model', async () => {
    pool.setDefinitions([definition('n0', fakes[0]!)]);
    await pool.start();
    const options = { ...quick, backoffMs: 5 };
    const other = await analyseOnNodes(pool, () => ({ ...spec(1), model: 'another-model' }), options);
    expect(other).toMatchObject({ kind: 'unavailable', attempts: 0 });
    expect((other as { reason: string }).reason).toContain('no GPU node serves the model "another-model"');
    await fakes[0]!.control.addFaults('engine-dead');
    await pool.pollNow();
    const down = await analyseOnNodes(pool, () => spec(1), options);
    expect(down).toMatchObject({ kind: 'unavailable', attempts: 0 });
    expect(pool.canServe(MODEL)).toBe(false);
    await fakes[0]!.control.clearFaults();
    await pool.pollNow();
    expect(pool.canServe(MODEL)).toBe(true);
  });

  it('retries once with twice the budget when the answer is cut off, then fails without inventing a result', async () => {
    pool.setDefinitions([definition('n0', fakes[0]!)]);
    await pool.start();
    await fakes[0]!.control.addFaults('length');
    const recovered = await analyseOnNodes(pool, (budget) => spec(1, budget), quick);
    expect(recovered.kind).toBe('done');
    const budgets = (await fakes[0]!.control.stats()).requests.map((r) => [
      r.max_completion_tokens,
      r.thinking_token_budget,
    ]);
    expect(budgets).toEqual([
      [2048, 1024],
      [4096, 2048],
    ]);

    await fakes[0]!.control.addFaults({ kind: 'invalid-json-content', count: 2 });
    const failed = await analyseOnNodes(pool, (budget) => spec(1, budget), quick);
    expect(failed.kind).toBe('failed');
    expect((failed as { reason: string }).reason).toMatch(/not JSON/);
    expect(failed).not.toHaveProperty('result');
  });

  it('counts protocol garbage against the node: its breaker opens and the windows go to a healthy node', async () => {
    pool.setDefinitions([definition('bad', fakes[0]!), definition('good', fakes[1]!)]);
    await pool.start();
    // Valid JSON of the wrong shape, then HTML pages: nothing of it is an answer.
    await fakes[0]!.control.addFaults({ kind: 'wrong-shape', count: 3 }, { kind: 'html-page', count: 10 });
    const attempts: string[][] = Array.from({ length: 8 }, () => []);
    const outcomes = await Promise.all(
      attempts.map((tried) =>
        analyseOnNodes(pool, (budget) => spec(1, budget), {
          maxAttempts: 3,
          requestTimeoutMs: 10_000,
          idleTimeoutMs: 2_000,
          backoffMs: 10,
          validate: alwaysValid,
          onAttempt: (_n, node) => tried.push(node),
        }),
      ),
    );
    expect(outcomes.map((outcome) => [outcome.kind, outcome.node])).toEqual(
      Array.from({ length: 8 }, () => ['done', 'good']),
    );
    // Windows that met the garbage were retried once, elsewhere; none went back to it.
    expect(attempts.flat()).toContain('bad');
    for (const tried of attempts) expect(tried.at(-1)).toBe('good');
    for (const tried of attempts)
      expect(tried.filter((node) => node === 'bad').length).toBeLessThanOrEqual(1);
    const bad = pool.status().find((node) => node.name === 'bad')!;
    expect(bad.breaker).toBe('open');
    expect(bad.lastError).toMatch(/chat\.completion\.chunk|instead of an event stream/);
    const before = (await fakes[0]!.control.stats()).received;
    await analyseOnNodes(pool, () => spec(1), quick);
    expect((await fakes[0]!.control.stats()).received).toBe(before);
  });

  it('records the last error of a node that fails every request; polls that work do not clear it', async () => {
    pool.setDefinitions([definition('failing', fakes[0]!), definition('good', fakes[1]!)]);
    await pool.start();
    await fakes[0]!.control.addFaults({ kind: 'http-500', count: 20 });
    const options = { ...quick, backoffMs: 5 };
    await Promise.all(Array.from({ length: 4 }, () => analyseOnNodes(pool, () => spec(1), options)));
    const failing = () => pool.status().find((node) => node.name === 'failing')!;
    expect(failing().lastError).toMatch(/^HTTP 500: Internal server error/);
    expect(failing().lastErrorAt).not.toBeNull();
    await pool.pollNow();
    expect(failing().healthy).toBe(true);
    expect(failing().lastError).toMatch(/^HTTP 500/);
    expect(pool.status().find((node) => node.name === 'good')!.lastError).toBeNull();
  });

  it('retries an unusable answer on another node when one can serve', async () => {
    pool.setDefinitions([definition('n0', fakes[0]!), definition('n1', fakes[1]!)]);
    await pool.start();
    await Promise.all(fakes.slice(0, 2).map((fake) => fake.control.addFaults('invalid-json-content')));
    const attempts: string[] = [];
    const outcome = await analyseOnNodes(pool, (budget) => spec(1, budget), {
      ...quick,
      onAttempt: (_n, node) => attempts.push(node),
    });
    expect(outcome.kind).toBe('failed');
    expect(new Set(attempts).size).toBe(2);
    expect(outcome.attempts).toBe(2);
  });

  it('skips a node whose /v1/models does not list the model, though configured for it', async () => {
    const other = await startFakeVllmProcess({ latencyMs: 50, modelName: 'qwen3-vl-32b-thinking' });
    try {
      pool.setDefinitions([definition('mislabelled', other), definition('good', fakes[1]!)]);
      await pool.start();
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () => analyseOnNodes(pool, () => spec(1), quick)),
      );
      expect(outcomes.every((outcome) => outcome.kind === 'done' && outcome.node === 'good')).toBe(true);
      expect((await other.control.stats()).received).toBe(0);
      expect(pool.status().find((node) => node.name === 'mislabelled')!.servedModels).toEqual([
        'qwen3-vl-32b-thinking',
      ]);

      pool.setDefinitions([definition('mislabelled', other)]);
      await pool.pollNow();
      expect(pool.canServe(MODEL)).toBe(false);
      const alone = await analyseOnNodes(pool, () => spec(1), quick);
      expect(alone).toMatchObject({ kind: 'unavailable', attempts: 0 });
      expect((await other.control.stats()).received).toBe(0);
    } finally {
      await other.stop();
    }
  });

  describe('the token budget and the node’s context (max_model_len)', () => {
    const sentBudgets = async () =>
      (await fakes[0]!.control.stats()).requests.map((r) => [
        r.max_completion_tokens,
        r.thinking_token_budget,
      ]);
    afterEach(() => fakes[0]!.control.configure({ maxModelLen: 32768 }));
    /** Node n0 alone, its context `maxModelLen` (read as the pool starts), cuts its first answer off. */
    const analyseCutOff = async (maxModelLen: number) => {
      await fakes[0]!.control.configure({ maxModelLen });
      pool.setDefinitions([definition('n0', fakes[0]!)]);
      await pool.start();
      await fakes[0]!.control.addFaults('length');
      return analyseOnNodes(pool, (budget) => spec(1, budget), quick);
    };

    it('retries with as much more as fits the context, never more', async () => {
      const outcome = await analyseCutOff(3_500);
      expect(outcome.kind).toBe('done');
      const budgets = await sentBudgets();
      expect(budgets[0]).toEqual([2048, 1024]);
      const [max, thinking] = budgets[1]!;
      expect(max).toBeGreaterThan(3_072);
      expect(max! + outcome.usage.promptTokens / 2).toBeLessThanOrEqual(3_500);
      expect(thinking).toBeLessThan(max!);
    });

    it('says that thinking ran out, not what to lower, when no larger budget fits', async () => {
      const outcome = await analyseCutOff(2_600);
      expect(outcome.kind).toBe('failed');
      const reason = (outcome as { reason: string }).reason;
      expect(reason).toMatch(
        /^the model ran out of tokens while thinking \(finish_reason length after 2048 tokens/,
      );
      expect(reason).toContain('max_model_len 2600');
      expect(reason).not.toMatch(/Lower the stream/);
      expect(await sentBudgets()).toEqual([[2048, 1024]]);
    });

    it('keeps thinking as the cause when the node refuses the retry (its context shrank since the last poll)', async () => {
      const slowPoll = new NodePool({
        pollIntervalMs: 60_000,
        breakerFailures: 2,
        breakerOpenMs: 800,
        logger,
      });
      try {
        slowPoll.setDefinitions([definition('n0', fakes[0]!)]);
        await slowPoll.start();
        await fakes[0]!.control.configure({ maxModelLen: 3_000 });
        await fakes[0]!.control.addFaults('length');
        const outcome = await analyseOnNodes(slowPoll, (budget) => spec(1, budget), quick);
        expect(outcome.kind).toBe('failed');
        const reason = (outcome as { reason: string }).reason;
        expect(reason).toMatch(/^the model ran out of tokens while thinking/);
        expect(reason).toContain('the retry with 4096 tokens does not fit the model');
        expect(reason).toContain('maximum context length is 3000');
      } finally {
        await slowPoll.close();
      }
    });
  });

  it('fails at once with what to change on a 400, without trying other nodes', async () => {
    pool.setDefinitions([definition('n0', fakes[0]!), definition('n1', fakes[1]!)]);
    await pool.start();
    const outcome = await analyseOnNodes(pool, () => spec(9), {
      maxAttempts: 4,
      requestTimeoutMs: 5_000,
      idleTimeoutMs: 2_000,
      validate: alwaysValid,
    });
    expect(outcome.kind).toBe('failed');
    expect((outcome as { reason: string }).reason).toContain("Lower the stream's windowSize to 8 or less");
    expect(outcome.attempts).toBe(1);
    expect(pool.status().every((node) => node.breaker === 'closed')).toBe(true);
  });

  it('loses no window when a node is killed mid-run', async () => {
    const victim = await startFakeVllmProcess({ latencyMs: 300, slots: 4 });
    pool.setDefinitions([
      definition('victim', victim),
      definition('n1', fakes[1]!),
      definition('n2', fakes[2]!),
    ]);
    await pool.start();
    const options = {
      maxAttempts: 4,
      requestTimeoutMs: 5_000,
      idleTimeoutMs: 2_000,
      backoffMs: 20,
      validate: alwaysValid,
    };
    const run = Promise.all(Array.from({ length: 36 }, () => analyseOnNodes(pool, () => spec(1), options)));
    await waitFor(async () => (await victim.control.stats()).running > 0, 5_000);
    await victim.kill('SIGKILL');
    const outcomes = await run;
    expect(outcomes.filter((outcome) => outcome.kind !== 'done')).toEqual([]);
    expect(outcomes.some((outcome) => outcome.attempts > 1)).toBe(true);
    await pool.pollNow();
    expect(pool.status().find((node) => node.name === 'victim')!.healthy).toBe(false);
  });
});
