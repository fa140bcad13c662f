import { buildChatBody, chatBodyJson } from './vllm-client';
import {
  buildChatSpec,
  estimatePromptTokens,
  fitBudget,
  PromptVersion,
  promptTokensUpperBound,
  visionTokensOf,
} from './window-prompt';

const version: PromptVersion & { id: string } = {
  id: '0193c0de-0000-7000-8000-000000000001',
  systemText: 'You watch a lawn.',
  instructionText: 'Watch {{streamName}}. Policy: {{policy}}',
  resultSchema: { type: 'object' },
  mode: 'THINKING',
  modelName: 'qwen3-vl-8b-thinking',
  temperature: 0.6,
  topP: 0.95,
  topK: 20,
  presencePenalty: 0,
  maxCompletionTokens: 4096,
  thinkingTokenBudget: 2048,
};
const frames = [
  { jpeg: Buffer.from([1, 2, 3]), capturedAt: new Date('2026-11-21T10:00:00.000Z'), skippedBefore: 0 },
  { jpeg: Buffer.from([4, 5]), capturedAt: new Date('2026-11-21T10:00:00.500Z'), skippedBefore: 3 },
];

describe('window prompt', () => {
  it('counts 32 px per token side plus two markers', () => {
    expect(visionTokensOf(448, 448)).toBe(198);
    expect(visionTokensOf(448, 256)).toBe(14 * 8 + 2);
    expect(visionTokensOf(450, 250)).toBe(15 * 8 + 2);
  });

  it('puts fixed text before the images and the per-window text after them', () => {
    const body = buildChatBody(buildChatSpec(version, { streamName: 'Lawn', policyText: 'no dogs' }, frames));
    const messages = body.messages as { role: string; content: unknown }[];
    expect(messages[0]).toEqual({ role: 'system', content: 'You watch a lawn.' });
    const parts = messages[1]!.content as { type: string; text?: string; image_url?: { url: string } }[];
    expect(parts.map((part) => part.type)).toEqual(['text', 'image_url', 'image_url', 'text']);
    expect(parts[0]!.text).toBe('Watch Lawn. Policy: no dogs');
    expect(parts[1]!.image_url!.url).toBe(
      `data:image/jpeg;base64,${Buffer.from([1, 2, 3]).toString('base64')}`,
    );
    const tail = parts[3]!.text!;
    expect(tail).toContain('Stream: Lawn');
    expect(tail).toContain('frame 0: 2026-11-21T10:00:00.000Z');
    expect(tail).toContain(
      'frame 1: 2026-11-21T10:00:00.500Z (3 near-identical frames before it were skipped)',
    );
    expect(tail).toContain('no dogs');
  });

  it('sends every sampling parameter, the schema and the budgets explicitly, never guided_json or max_tokens', () => {
    const body = buildChatBody(buildChatSpec(version, { streamName: 'Lawn', policyText: '' }, frames));
    expect(body).toMatchObject({
      model: 'qwen3-vl-8b-thinking',
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
      presence_penalty: 0,
      max_completion_tokens: 4096,
      thinking_token_budget: 2048,
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_schema', json_schema: { schema: { type: 'object' }, strict: true } },
    });
    expect(body).not.toHaveProperty('guided_json');
    expect(body).not.toHaveProperty('max_tokens');
    const name = (body.response_format as { json_schema: { name: string } }).json_schema.name;
    expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('writes the same JSON as JSON.stringify when it splices the frames in', () => {
    const spec = buildChatSpec(version, { streamName: 'Lawn "quoted"', policyText: 'a\nb' }, frames);
    expect(JSON.parse(chatBodyJson(spec).toString('utf8'))).toEqual(buildChatBody(spec));
    expect(chatBodyJson(spec).toString('utf8')).toBe(JSON.stringify(buildChatBody(spec)));
  });

  it('keeps the bytes before the images identical across windows of a stream (prefix cache)', () => {
    const prefix = (spec: ReturnType<typeof buildChatSpec>): string => {
      const body = buildChatBody(spec);
      const messages = body.messages as { content: unknown }[];
      return JSON.stringify([messages[0], (messages[1]!.content as unknown[])[0]]);
    };
    const later = frames.map((frame) => ({
      ...frame,
      capturedAt: new Date(frame.capturedAt.getTime() + 60_000),
    }));
    expect(prefix(buildChatSpec(version, { streamName: 'Lawn', policyText: 'p' }, frames))).toBe(
      prefix(buildChatSpec(version, { streamName: 'Lawn', policyText: 'p' }, later)),
    );
  });

  it('sends no thinking budget to an Instruct model and honours a budget override', () => {
    const spec = buildChatSpec(
      { ...version, mode: 'INSTRUCT' },
      { streamName: 'x', policyText: '' },
      frames,
      {
        maxCompletionTokens: 8192,
        thinkingTokenBudget: 4096,
      },
    );
    expect(spec.thinkingTokenBudget).toBeNull();
    expect(spec.maxCompletionTokens).toBe(8192);
    expect(buildChatBody(spec)).not.toHaveProperty('thinking_token_budget');
  });

  it('tells the model what is known of the stream after the images, leaving the prefix alone', () => {
    const memory = {
      activeTracks: [
        { id: 4, label: 'person', zones: ['lawn'], since: new Date('2026-11-21T09:59:20.000Z') },
      ],
      recentEvents: ['person #4 entered "lawn" at 09:59:30'],
      previousSummary: 'person #4 appeared at 09:59:20 -> person #4 entered "lawn" at 09:59:30',
      openIncident: {
        summary: 'A person walks onto the lawn',
        severity: 'medium',
        since: new Date('2026-11-21T09:59:31.000Z'),
      },
    };
    const withMemory = buildChatBody(
      buildChatSpec(version, { streamName: 'Lawn', policyText: '', memory }, frames),
    );
    const without = buildChatBody(buildChatSpec(version, { streamName: 'Lawn', policyText: '' }, frames));
    const parts = (body: typeof withMemory) =>
      (body.messages as { content: unknown }[])[1]!.content as { text?: string }[];
    expect(JSON.stringify(parts(withMemory).slice(0, 3))).toBe(JSON.stringify(parts(without).slice(0, 3)));
    const tail = parts(withMemory)[3]!.text!;
    expect(tail).toContain('What is known of this stream before these frames:');
    expect(tail).toContain('- person #4 in "lawn", tracked since 2026-11-21T09:59:20.000Z');
    expect(tail).toContain('- earlier: person #4 entered "lawn" at 09:59:30');
    expect(tail).toContain('- the previous window: person #4 appeared at 09:59:20');
    expect(tail).toContain(
      '- an open incident since 2026-11-21T09:59:31.000Z (medium): A person walks onto the lawn',
    );
    expect(parts(without)[3]!.text!).not.toContain('What is known');
  });

  it("restricts the objects' labels to the tenant's vocabulary where the schema leaves them free", () => {
    const free = {
      type: 'object',
      properties: {
        objects: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' } } } },
      },
    };
    const spec = buildChatSpec(
      { ...version, resultSchema: free },
      { streamName: 'Lawn', policyText: '', labels: ['person', 'dog', 'forklift'] },
      frames,
    );
    const label = (spec.schema as typeof free).properties.objects.items.properties.label;
    expect(label).toEqual({ type: 'string', enum: ['dog', 'forklift', 'person'] });
    // The version's own schema is left as it was; a schema that already constrains labels is sent unchanged.
    expect(free.properties.objects.items.properties.label).toEqual({ type: 'string' });
    const fixed = {
      ...free,
      properties: {
        objects: {
          ...free.properties.objects,
          items: { type: 'object', properties: { label: { type: 'string', enum: ['cat'] } } },
        },
      },
    };
    expect(
      buildChatSpec(
        { ...version, resultSchema: fixed },
        { streamName: 'Lawn', policyText: '', labels: ['person'] },
        frames,
      ).schema,
    ).toBe(fixed);
    expect(
      buildChatSpec({ ...version, resultSchema: free }, { streamName: 'Lawn', policyText: '' }, frames)
        .schema,
    ).toBe(free);
  });
});

describe('what fits a node', () => {
  const sized = frames.map((frame) => ({ ...frame, width: 448, height: 256 }));

  it('knows the image tokens of the frames it sends, and estimates the text on both sides', () => {
    const spec = buildChatSpec(version, { streamName: 'Lawn', policyText: '' }, sized);
    expect(spec.visionTokens).toBe(2 * (14 * 8 + 2));
    const text = spec.systemText.length + spec.instructionText.length + spec.windowText.length;
    expect(estimatePromptTokens(spec)).toBe(spec.visionTokens + Math.ceil(text / 4) + 32);
    expect(promptTokensUpperBound(spec)).toBeGreaterThan(estimatePromptTokens(spec));
    // Frames without a readable size count nothing rather than fail.
    expect(buildChatSpec(version, { streamName: 'Lawn', policyText: '' }, frames).visionTokens).toBe(0);
  });

  it('sends the wanted budget when it fits, or when the node says nothing of its context', () => {
    const wanted = { maxCompletionTokens: 4096, thinkingTokenBudget: 2048 };
    expect(fitBudget(wanted, 32_768, 1_000)).toEqual({ ...wanted, limitedBy: null });
    expect(fitBudget(wanted, null, 1_000)).toEqual({ ...wanted, limitedBy: null });
  });

  it('never asks for more than max_model_len holds, keeping the answer’s room after thinking', () => {
    const fitted = fitBudget({ maxCompletionTokens: 8192, thinkingTokenBudget: 4096 }, 8_000, 1_200);
    expect(fitted).toEqual({
      maxCompletionTokens: 6_800,
      thinkingTokenBudget: 6_800 - 4_096,
      limitedBy: { maxModelLen: 8_000, promptTokens: 1_200 },
    });
    expect(1_200 + fitted.maxCompletionTokens).toBeLessThanOrEqual(8_000);
    // Thinking that would leave no room at all gets half.
    expect(fitBudget({ maxCompletionTokens: 4096, thinkingTokenBudget: 1024 }, 3_000, 1_000)).toMatchObject({
      maxCompletionTokens: 2_000,
      thinkingTokenBudget: 1_000,
    });
    expect(fitBudget({ maxCompletionTokens: 4096, thinkingTokenBudget: null }, 3_000, 1_000)).toMatchObject({
      maxCompletionTokens: 2_000,
      thinkingTokenBudget: null,
    });
  });

  it('sends the wanted budget when even the prompt does not fit: the node’s 400 says so exactly', () => {
    expect(
      fitBudget({ maxCompletionTokens: 512, thinkingTokenBudget: 256 }, 1_000, 1_200).limitedBy,
    ).toBeNull();
  });
});
