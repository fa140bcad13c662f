import { SEVERITIES } from '../incidents/incident-stitching';
import { z } from 'zod';
import {
  CROSS_DIRECTIONS,
  RESULT_EVENT_TYPES,
  ZONE_EVENT_TYPES,
  type ResultEventType,
} from '../templates/result-schema';
import { WEBHOOK_EVENTS } from '../webhooks/webhook-events';

/**
 * The rule language, stored as JSON on Rule.condition and Rule.action. This file defines and
 * validates it; evaluation arrives with the rules engine. Validation messages carry the path of the
 * offending node (e.g. `condition.all.1.object.minConfidence`).
 *
 * A condition is one of:
 *   { all: [c, …] } | { any: [c, …] } | { not: c }
 *   { object:  { label, minConfidence?, minCount? } }
 *       with boxes in the result: minCount objects of the label, each at minConfidence or more, in
 *       one frame; without boxes: the label's best confidence and its largest count
 *   { event:   { type, zone?, label?, direction?, minSeconds?, minCount? } }
 *       the result's events (enter, leave, dwell, cross, wrong-way, crowd, crowd-end, run, fall,
 *       left-behind); zone (by name) is required for the zone and line types; direction only for
 *       cross and wrong-way; minSeconds (dwell, left-behind) compares the event's seconds;
 *       minCount compares a crowd's count, for other types the distinct tracks of the matches
 *   { track:   { label?, zone?, minSpeed?, minDwellSeconds? } }
 *       one tracked object meeting all that is given: of that label, having been in that zone,
 *       at least minSpeed body heights a second, at least minDwellSeconds in the zone (or in any)
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
  | { event: EventPredicate }
  | { track: { label?: string; zone?: string; minSpeed?: number; minDwellSeconds?: number } }
  | { action: { action: string; actor?: string; target?: string } }
  | { anomaly: { type: string; minSeverity?: (typeof SEVERITIES)[number] } }
  | { verdict: 'safe' | 'review' | 'violation' }
  | { confidence: { min?: number; max?: number } }
  | { text: { contains: string; in?: 'summary' | 'reasoning' | 'any' } }
  | { appears: { when: Condition; absentFor: number } }
  | { disappears: { when: Condition; presentFor: number } }
  | { persists: { when: Condition; windows: number } }
  | { occurs: { when: Condition; times: number; withinSeconds: number } };

export interface EventPredicate {
  type: ResultEventType;
  zone?: string;
  label?: string;
  direction?: (typeof CROSS_DIRECTIONS)[number];
  minSeconds?: number;
  minCount?: number;
}

const ZONED = new Set<string>(ZONE_EVENT_TYPES);
const DIRECTED = new Set<string>(['cross', 'wrong-way']);
const TIMED = new Set<string>(['dwell', 'left-behind']);

const eventSchema = z
  .strictObject({
    type: z.enum(RESULT_EVENT_TYPES),
    zone: label.optional(),
    label: label.optional(),
    direction: z.enum(CROSS_DIRECTIONS).optional(),
    minSeconds: z.number().min(0).max(86_400).optional(),
    minCount: z.number().int().min(1).max(1000).optional(),
  })
  .superRefine((event, context) => {
    // Each refusal names a field that would make the predicate never (or always) hold as written.
    if (ZONED.has(event.type) && event.zone === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['zone'],
        message: `is required for "${event.type}" events (the zone's or line's name)`,
      });
    }
    if (event.direction !== undefined && !DIRECTED.has(event.type)) {
      context.addIssue({
        code: 'custom',
        path: ['direction'],
        message: 'applies only to "cross" and "wrong-way" events',
      });
    }
    if (event.minSeconds !== undefined && !TIMED.has(event.type)) {
      context.addIssue({
        code: 'custom',
        path: ['minSeconds'],
        message: 'applies only to "dwell" and "left-behind" events',
      });
    }
  });

const trackSchema = z
  .strictObject({
    label: label.optional(),
    zone: label.optional(),
    minSpeed: z.number().min(0).max(100).optional(),
    minDwellSeconds: z.number().min(0).max(86_400).optional(),
  })
  .refine(
    (track) => Object.values(track).some((value) => value !== undefined),
    'needs at least one of label, zone, minSpeed, minDwellSeconds',
  );

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
    z.strictObject({ event: eventSchema }),
    z.strictObject({ track: trackSchema }),
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

/**
 * Every object label a condition names (object, event and track predicates, at any depth, inside
 * temporal forms too), each with its path below the condition (`all.0.object.label`, after `prefix`
 * when given: `input.condition.all.0.object.label`), in order.
 */
export function labelsInCondition(condition: Condition, prefix?: string): { path: string; label: string }[] {
  const found: { path: string; label: string }[] = [];
  const visit = (node: Condition, path: string[]): void => {
    const at = (...rest: string[]) => [...path, ...rest].join('.');
    if ('object' in node) found.push({ path: at('object', 'label'), label: node.object.label });
    else if ('event' in node && node.event.label !== undefined)
      found.push({ path: at('event', 'label'), label: node.event.label });
    else if ('track' in node && node.track.label !== undefined)
      found.push({ path: at('track', 'label'), label: node.track.label });
    else if ('all' in node) node.all.forEach((child, index) => visit(child, [...path, 'all', String(index)]));
    else if ('any' in node) node.any.forEach((child, index) => visit(child, [...path, 'any', String(index)]));
    else if ('not' in node) visit(node.not, [...path, 'not']);
    else if ('appears' in node) visit(node.appears.when, [...path, 'appears', 'when']);
    else if ('disappears' in node) visit(node.disappears.when, [...path, 'disappears', 'when']);
    else if ('persists' in node) visit(node.persists.when, [...path, 'persists', 'when']);
    else if ('occurs' in node) visit(node.occurs.when, [...path, 'occurs', 'when']);
  };
  visit(condition, prefix ? [prefix] : []);
  return found;
}
