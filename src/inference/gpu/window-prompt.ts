import { readJpegSize } from '../../media/jpeg-frame-splitter';
import { renderTemplate } from '../../templates/prompt-renderer';
import type { ChatRequestSpec } from './vllm-client';
import { vigilVariables } from '../../templates/vigil-variables';

/** The model's patch grid: 16 px patches merged 2x2, so one token per 32x32 px. */
export const PIXELS_PER_TOKEN_SIDE = 32;

/** Image tokens of one frame, with its two marker tokens. */
export function visionTokensOf(width: number, height: number): number {
  return Math.ceil(width / PIXELS_PER_TOKEN_SIDE) * Math.ceil(height / PIXELS_PER_TOKEN_SIDE) + 2;
}

export interface PromptVersion {
  id: string;
  systemText: string;
  instructionText: string;
  resultSchema: unknown;
  mode: 'THINKING' | 'INSTRUCT';
  modelName: string;
  temperature: number;
  topP: number;
  topK: number;
  presencePenalty: number;
  maxCompletionTokens: number;
  thinkingTokenBudget: number;
}

export interface PromptFrame {
  jpeg: Buffer;
  capturedAt: Date;
  skippedBefore: number;
  /** The JPEG's size when known; read from its header otherwise. */
  width?: number;
  height?: number;
}

/** Image tokens of a window's frames (their markers included). */
export function windowVisionTokens(frames: readonly PromptFrame[]): number {
  return frames.reduce((sum, frame) => {
    const size =
      frame.width !== undefined && frame.height !== undefined
        ? { width: frame.width, height: frame.height }
        : readJpegSize(frame.jpeg);
    return sum + (size ? visionTokensOf(size.width, size.height) : 0);
  }, 0);
}

export interface PromptContext {
  streamName: string;
  policyText: string;
  /** What Vigil already knows of the stream; absent for a stream with no history yet. */
  memory?: StreamMemory;
  /**
   * The tenant's label vocabulary (COCO-80 and its own labels): the model must name objects with
   * these words, so that rules written for "person" match what it reports.
   */
  labels?: readonly string[];
}

/**
 * The result schema with `objects[].label` restricted to the vocabulary, when the template's
 * schema leaves it a free string; a schema that already constrains it, or has no such field, is
 * sent as it is. The structured-output constraint then keeps the model's words to the known ones.
 */
export function withLabelVocabulary(schema: unknown, labels: readonly string[] | undefined): unknown {
  if (!labels?.length || !schema || typeof schema !== 'object') return schema;
  const root = schema as { properties?: Record<string, unknown> };
  const objects = root.properties?.objects as
    { items?: { properties?: Record<string, unknown> } } | undefined;
  const label = objects?.items?.properties?.label as Record<string, unknown> | undefined;
  if (!label || label.type !== 'string' || 'enum' in label || 'const' in label) return schema;
  return {
    ...root,
    properties: {
      ...root.properties,
      objects: {
        ...objects,
        items: {
          ...objects!.items,
          properties: { ...objects!.items!.properties, label: { ...label, enum: [...labels].sort() } },
        },
      },
    },
  };
}

/**
 * The stream's memory, as the local analyser and earlier windows left it: said in the per-window
 * text, so the model reads the images knowing who is where and what just happened.
 */
export interface StreamMemory {
  /** Tracked objects in view at the end of the last stepped frame, with the zones they stand in. */
  activeTracks: { id: number; label: string; zones: string[]; since: Date }[];
  /** The latest events, oldest first, as sentences. */
  recentEvents: string[];
  /** The previous window's root cause or summary, if it found anything. */
  previousSummary: string | null;
  openIncident: { summary: string; severity: string | null; since: Date } | null;
}

/** Variables an instruction text may use; all are per stream, so the prefix stays stable per stream. */
export function instructionVariables(context: PromptContext): Record<string, string> {
  return vigilVariables(context);
}

/**
 * The per-window text that follows the images: what varies from window to window goes last, so
 * the system text, the instruction and (within a stream) the images before it share a prefix.
 */
export function windowText(context: PromptContext, frames: readonly PromptFrame[]): string {
  const lines = [
    `Stream: ${context.streamName}`,
    `The ${frames.length} images above are consecutive frames, in this order (capture time, UTC):`,
    ...frames.map(
      (frame, index) =>
        `- frame ${index}: ${frame.capturedAt.toISOString()}` +
        (frame.skippedBefore > 0
          ? ` (${frame.skippedBefore} near-identical frames before it were skipped)`
          : ''),
    ),
  ];
  if (context.memory) lines.push('', ...memoryLines(context.memory));
  if (context.policyText.trim())
    lines.push('', 'Moderation policy of this tenant:', context.policyText.trim());
  lines.push('', 'Refer to frames by their index. Answer with the JSON object only.');
  return lines.join('\n');
}

function memoryLines(memory: StreamMemory): string[] {
  const lines = ['What is known of this stream before these frames:'];
  if (memory.activeTracks.length === 0) lines.push('- no tracked object was in view');
  for (const track of memory.activeTracks) {
    const where = track.zones.length > 0 ? ` in ${track.zones.map((zone) => `"${zone}"`).join(', ')}` : '';
    lines.push(`- ${track.label} #${track.id}${where}, tracked since ${track.since.toISOString()}`);
  }
  for (const event of memory.recentEvents) lines.push(`- earlier: ${event}`);
  if (memory.previousSummary) lines.push(`- the previous window: ${memory.previousSummary}`);
  if (memory.openIncident) {
    const severity = memory.openIncident.severity ? ` (${memory.openIncident.severity})` : '';
    lines.push(
      `- an open incident since ${memory.openIncident.since.toISOString()}${severity}: ${memory.openIncident.summary}`,
    );
  }
  lines.push('Use the same track numbers for the same objects where you recognise them.');
  return lines;
}

export interface BudgetOverride {
  maxCompletionTokens: number;
  thinkingTokenBudget: number;
}

export function buildChatSpec(
  version: PromptVersion,
  context: PromptContext,
  frames: readonly PromptFrame[],
  budget: BudgetOverride = {
    maxCompletionTokens: version.maxCompletionTokens,
    thinkingTokenBudget: version.thinkingTokenBudget,
  },
): ChatRequestSpec {
  return {
    model: version.modelName,
    systemText: version.systemText,
    instructionText: renderTemplate(version.instructionText, instructionVariables(context)).text,
    images: frames.map((frame) => frame.jpeg),
    windowText: windowText(context, frames),
    // json_schema names allow [a-zA-Z0-9_-] only; one name per version keeps the prefix stable.
    schemaName: `vigil_result_${version.id.replace(/[^a-zA-Z0-9]/g, '')}`.slice(0, 64),
    schema: withLabelVocabulary(version.resultSchema, context.labels) as object,
    sampling: {
      temperature: version.temperature,
      topP: version.topP,
      topK: version.topK,
      presencePenalty: version.presencePenalty,
    },
    maxCompletionTokens: budget.maxCompletionTokens,
    thinkingTokenBudget: version.mode === 'THINKING' ? budget.thinkingTokenBudget : null,
    visionTokens: windowVisionTokens(frames),
  };
}

type PromptParts = Pick<ChatRequestSpec, 'systemText' | 'instructionText' | 'windowText' | 'visionTokens'>;

/** Tokens the chat template adds around two messages and their parts (role markers and the like). */
const TEMPLATE_TOKENS = 32;

/**
 * A request's prompt tokens as Vigil can know them without the model's tokenizer: image tokens
 * exactly, text at about four characters a token. Metering uses it when a node reports no usage.
 */
export function estimatePromptTokens(spec: PromptParts): number {
  return spec.visionTokens + Math.ceil(textChars(spec) / 4) + TEMPLATE_TOKENS;
}

/**
 * The same on the safe side (three characters a token: times and numbers cost more than words),
 * for deciding what fits a node's context before the node has said how long the prompt is.
 */
export function promptTokensUpperBound(spec: PromptParts): number {
  return spec.visionTokens + Math.ceil(textChars(spec) / 3) + TEMPLATE_TOKENS;
}

function textChars(spec: PromptParts): number {
  return spec.systemText.length + spec.instructionText.length + spec.windowText.length;
}

/** A request's token budget as sent: what was wanted, or less so that it fits the node's context. */
export interface FittedBudget {
  maxCompletionTokens: number;
  thinkingTokenBudget: number | null;
  /** Set when the node's context made it smaller than wanted. */
  limitedBy: { maxModelLen: number; promptTokens: number } | null;
}

/**
 * Never asks a node for more than its context holds: prompt plus max_completion_tokens at most
 * max_model_len. A budget cut to fit keeps the room the version left for the answer after thinking
 * where it can. When even the prompt does not fit, the budget is sent as wanted and the node's
 * own 400 says so, with its exact count.
 */
export function fitBudget(
  wanted: { maxCompletionTokens: number; thinkingTokenBudget: number | null },
  maxModelLen: number | null,
  promptTokens: number,
): FittedBudget {
  const room = maxModelLen === null ? Infinity : maxModelLen - promptTokens;
  if (wanted.maxCompletionTokens <= room || room < 1) return { ...wanted, limitedBy: null };
  const maxCompletionTokens = room;
  let thinkingTokenBudget = wanted.thinkingTokenBudget;
  if (thinkingTokenBudget !== null) {
    const answerRoom = Math.max(0, wanted.maxCompletionTokens - thinkingTokenBudget);
    thinkingTokenBudget = Math.min(thinkingTokenBudget, maxCompletionTokens - answerRoom);
    if (thinkingTokenBudget < 1) thinkingTokenBudget = Math.floor(maxCompletionTokens / 2);
  }
  return { maxCompletionTokens, thinkingTokenBudget, limitedBy: { maxModelLen: maxModelLen!, promptTokens } };
}
