import { SEVERITIES } from '../incidents/incident-stitching';
import { z } from 'zod';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events';

/**
 * The rule language, stored as JSON on Rule.condition and Rule.action. This file defines and
 * validates it; evaluation arrives with the rules engine. Validation messages carry the path of the
 * offending node (e.g. `condition.all.1.object.minConfidence`).
 *
 * A condition is one of:
 *   { all: [c, …] } | { any: [c, …] } | { not: c }
 *   { object:  { label, minConfidence?, minCount? } }
 *   { action:  { action, actor?, target? } }
 *   { anomaly: { type, minSeverity? } }
 *   { verdict: "safe" | "review" | "violation" }
 *   { confidence: { min?, max? } }
 *   { text:    { contains, in?: "summary" | "reasoning" | "any" } }
 * and the temporal forms over the stream's recent results:
 *   { appears:    { when: c, absentFor: k } }      present now, absent in the previous k windows
 *   { disappears: { when: c, presentFor: k } }     absent now, present in the previous k windows
 *   { persists:   { when: c, windows: n } }         present in each of the last n windows
 *   { occurs:     { when: c, times: m, withinSeconds: t } }
 */
export { SEVERITIES };
export const MAX_CONDITION_DEPTH = 8;
export const MAX_CONDITION_NODES = 64;

const label = z.string().trim().min(1).max(100);
const probability = z.number().min(0).max(1);
const windowCount = z.number().int().min(1).max(100);

export type Condition =
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition }
  | { object: { label: string; minConfidence?: number; minCount?: number } }
  | { action: { action: string; actor?: string; target?: string } }
  | { anomaly: { type: string; minSeverity?: (typeof SEVERITIES)[number] } }
  | { verdict: 'safe' | 'review' | 'violation' }
  | { confidence: { min?: number; max?: number } }
  | { text: { contains: string; in?: 'summary' | 'reasoning' | 'any' } }
  | { appears: { when: Condition; absentFor: number } }
  | { disappears: { when: Condition; presentFor: number } }
  | { persists: { when: Condition; windows: number } }
  | { occurs: { when: Condition; times: number; withinSeconds: number } };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(conditionSchema).min(1).max(20) }),
    z.strictObject({ any: z.array(conditionSchema).min(1).max(20) }),
    z.strictObject({ not: conditionSchema }),
    z.strictObject({
      object: z.strictObject({
        label,
        minConfidence: probability.optional(),
        minCount: z.number().int().min(1).max(1000).optional(),
      }),
    }),
    z.strictObject({
      action: z.strictObject({ action: label, actor: label.optional(), target: label.optional() }),
    }),
    z.strictObject({ anomaly: z.strictObject({ type: label, minSeverity: z.enum(SEVERITIES).optional() }) }),
    z.strictObject({ verdict: z.enum(['safe', 'review', 'violation']) }),
    z.strictObject({
      confidence: z
        .strictObject({ min: probability.optional(), max: probability.optional() })
        .refine((range) => range.min !== undefined || range.max !== undefined, 'needs min or max')
        .refine((range) => (range.min ?? 0) <= (range.max ?? 1), 'min must not exceed max'),
    }),
    z.strictObject({
      text: z.strictObject({
        contains: z.string().min(1).max(200),
        in: z.enum(['summary', 'reasoning', 'any']).optional(),
      }),
    }),
    z.strictObject({ appears: z.strictObject({ when: conditionSchema, absentFor: windowCount }) }),
    z.strictObject({ disappears: z.strictObject({ when: conditionSchema, presentFor: windowCount }) }),
    z.strictObject({ persists: z.strictObject({ when: conditionSchema, windows: windowCount }) }),
    z.strictObject({
      occurs: z.strictObject({
        when: conditionSchema,
        times: z.number().int().min(1).max(1000),
        withinSeconds: z.number().int().min(1).max(86_400),
      }),
    }),
  ]),
);

export const actionSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('review'),
    queue: z.string().trim().min(1).max(60).default('default'),
    priority: z.number().int().min(0).max(100).default(50),
  }),
  z.strictObject({ type: z.literal('alert'), severity: z.enum(SEVERITIES).default('high') }),
  z.strictObject({
    type: z.literal('webhook'),
    // The names endpoints can filter on: a name outside the list would reach only unfiltered endpoints.
    event: z.enum(WEBHOOK_EVENTS).default('rule.fired'),
  }),
  z.strictObject({ type: z.literal('autoDismiss'), belowConfidence: probability }),
]);

export type RuleAction = z.output<typeof actionSchema>;

/** Depth and size limits: a rule is evaluated after every analysis, so it must stay small. */
export function conditionShapeProblems(condition: Condition): string[] {
  let nodes = 0;
  let deepest = 0;
  const visit = (node: Condition, depth: number): void => {
    nodes += 1;
    deepest = Math.max(deepest, depth);
    for (const child of childrenOf(node)) visit(child, depth + 1);
  };
  visit(condition, 1);
  const problems: string[] = [];
  if (deepest > MAX_CONDITION_DEPTH) problems.push(`nests ${deepest} levels; at most ${MAX_CONDITION_DEPTH}`);
  if (nodes > MAX_CONDITION_NODES) problems.push(`has ${nodes} nodes; at most ${MAX_CONDITION_NODES}`);
  return problems;
}

function childrenOf(node: Condition): Condition[] {
  if ('all' in node) return node.all;
  if ('any' in node) return node.any;
  if ('not' in node) return [node.not];
  if ('appears' in node) return [node.appears.when];
  if ('disappears' in node) return [node.disappears.when];
  if ('persists' in node) return [node.persists.when];
  if ('occurs' in node) return [node.occurs.when];
  return [];
}
