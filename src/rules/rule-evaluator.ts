import { SEVERITIES, type Condition, type EventPredicate } from './rule-definition';

/**
 * Evaluation of the rule language (rule-definition.ts) against one analysis result and the stream's
 * recent results. Pure and synchronous: the runner loads the history, this file only decides.
 *
 * A condition is compiled once into closures (cached by rule id and updatedAt), so evaluating 50
 * rules per result costs microseconds, not a JSON walk per rule.
 */

/** Longest history a rule may ask for (windowCount's maximum in rule-definition.ts). */
export const MAX_HISTORY = 100;

/** Summary excerpts kept per result: text predicates match within the first this many characters. */
export const SUMMARY_EXCERPT_CHARS = 500;

const SEVERITY_RANK: Record<string, number> = Object.fromEntries(
  SEVERITIES.map((name, rank) => [name, rank]),
);

/** What the rules need of one analysis result, compactly (it is also what Redis keeps per window). */
export interface ResultFacts {
  analysisId: string;
  windowId: string;
  /** The window's end, epoch milliseconds: the time axis of temporal predicates. */
  endAt: number;
  /**
   * Lower-case label -> highest confidence and largest count seen for it, and, when the result has
   * boxes for it, `k`: k[i] is the best (i+1)-th confidence among the label's boxes of one frame,
   * over the frames (so "n boxes at c or more in one frame" is `k[n - 1] >= c`).
   */
  objects: Record<string, ObjectFacts>;
  /** The result's events, compactly (absent when it has none, and in facts kept before events). */
  events?: EventFacts[];
  /** The result's tracks, compactly (absent when it has none). */
  tracks?: TrackFacts[];
  /** Lower-case action, actor and target. */
  actions: { a: string; s?: string; t?: string }[];
  /** Lower-case anomaly type -> highest severity rank (0 low … 3 critical). */
  anomalies: Record<string, number>;
  verdict?: string;
  confidence?: number;
  /** Lower-case summary excerpt (summary, root cause, anomaly descriptions). */
  summary: string;
  /**
   * Lower-case reasoning: the whole text for the current result only. Results in the history keep
   * none (reasoning runs to thousands of characters), so a `text` predicate on the reasoning inside
   * a temporal form only ever matches the current window.
   */
  reasoning: string;
}

export interface ObjectFacts {
  c: number;
  n: number;
  k?: number[];
}

/** One event: type, lower-case zone and label, direction, seconds, count, track ids. */
export interface EventFacts {
  t: string;
  z?: string;
  l?: string;
  d?: string;
  s?: number;
  n?: number;
  k: number[];
}

/** One track: lower-case label and zones, top speed, dwell seconds by lower-case zone. */
export interface TrackFacts {
  l: string;
  z: string[];
  v: number;
  w: Record<string, number>;
}

/** Bounds on what one result's facts keep (they are stored per window for temporal rules). */
export const MAX_EVENT_FACTS = 200;
export const MAX_TRACK_FACTS = 200;
const MAX_BOXES_PER_FRAME = 1000;

type Json = Record<string, unknown>;

const lower = (value: unknown): string => (typeof value === 'string' ? value.trim().toLowerCase() : '');
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

/** Extracts the facts from an Analysis row's result JSON and reasoning. */
export function factsOf(
  analysis: { id: string; windowId: string; result: unknown; reasoning?: string | null },
  windowEndAt: Date | number,
  options: { keepReasoning?: boolean } = {},
): ResultFacts {
  const result = (analysis.result && typeof analysis.result === 'object' ? analysis.result : {}) as Json;
  const objects: ResultFacts['objects'] = {};
  // Box confidences per label and frame: entries of one label may share frames.
  const boxes = new Map<string, Map<number, number[]>>();
  for (const entry of Array.isArray(result.objects) ? (result.objects as Json[]) : []) {
    const label = lower(entry?.label);
    if (!label) continue;
    const confidence = num(entry.confidence) ?? 1;
    const count = num(entry.count) ?? 1;
    const seen = objects[label];
    objects[label] = seen
      ? { c: Math.max(seen.c, confidence), n: Math.max(seen.n, count) }
      : { c: confidence, n: count };
    for (const box of Array.isArray(entry.boxes) ? (entry.boxes as Json[]) : []) {
      const frame = num(box?.frame);
      if (frame === undefined) continue;
      const byFrame = boxes.get(label) ?? new Map<number, number[]>();
      boxes.set(label, byFrame);
      const list = byFrame.get(frame) ?? [];
      byFrame.set(frame, list);
      list.push(num(box.confidence) ?? confidence);
    }
  }
  for (const [label, byFrame] of boxes) {
    const best: number[] = [];
    for (const confidences of byFrame.values()) {
      confidences.sort((a, b) => b - a);
      const kept = Math.min(confidences.length, MAX_BOXES_PER_FRAME);
      for (let index = 0; index < kept; index += 1) {
        best[index] = Math.max(best[index] ?? 0, confidences[index]!);
      }
    }
    objects[label]!.k = best;
  }
  const actions: ResultFacts['actions'] = [];
  for (const entry of Array.isArray(result.actions) ? (result.actions as Json[]) : []) {
    const action = lower(entry?.action);
    if (!action) continue;
    const fact: ResultFacts['actions'][number] = { a: action };
    if (lower(entry.actor)) fact.s = lower(entry.actor);
    if (lower(entry.target)) fact.t = lower(entry.target);
    actions.push(fact);
  }
  const anomalies: ResultFacts['anomalies'] = {};
  for (const entry of Array.isArray(result.anomalies) ? (result.anomalies as Json[]) : []) {
    const type = lower(entry?.type);
    if (!type) continue;
    const rank = SEVERITY_RANK[lower(entry.severity)] ?? 0;
    anomalies[type] = Math.max(anomalies[type] ?? 0, rank);
  }
  const events = eventFactsOf(result.events);
  const tracks = trackFactsOf(result.tracks);
  const facts: ResultFacts = {
    analysisId: analysis.id,
    windowId: analysis.windowId,
    endAt: typeof windowEndAt === 'number' ? windowEndAt : windowEndAt.getTime(),
    objects,
    actions,
    anomalies,
    summary: summaryOf(result).toLowerCase(),
    reasoning: options.keepReasoning === false ? '' : (analysis.reasoning ?? '').toLowerCase(),
  };
  if (events.length) facts.events = events;
  if (tracks.length) facts.tracks = tracks;
  const verdict = lower(result.verdict);
  if (verdict) facts.verdict = verdict;
  const confidence = num(result.confidence);
  if (confidence !== undefined) facts.confidence = confidence;
  return facts;
}

function eventFactsOf(value: unknown): EventFacts[] {
  const facts: EventFacts[] = [];
  for (const entry of Array.isArray(value) ? (value as Json[]) : []) {
    const type = lower(entry?.type);
    if (!type) continue;
    const fact: EventFacts = { t: type, k: trackIdsOf(entry.trackIds) };
    if (lower(entry.zone)) fact.z = lower(entry.zone);
    if (lower(entry.label)) fact.l = lower(entry.label);
    if (lower(entry.direction)) fact.d = lower(entry.direction);
    const seconds = num(entry.seconds);
    if (seconds !== undefined) fact.s = seconds;
    const count = num(entry.count);
    if (count !== undefined) fact.n = count;
    facts.push(fact);
    if (facts.length >= MAX_EVENT_FACTS) break;
  }
  return facts;
}

function trackFactsOf(value: unknown): TrackFacts[] {
  const facts: TrackFacts[] = [];
  for (const entry of Array.isArray(value) ? (value as Json[]) : []) {
    if (!entry || typeof entry !== 'object') continue;
    const zones = Array.isArray(entry.zones) ? entry.zones.map(lower).filter(Boolean) : [];
    // A map, not an object literal: zone names are free text, "__proto__" included.
    const dwell = new Map<string, number>();
    const given = entry.dwellSeconds;
    if (given && typeof given === 'object' && !Array.isArray(given)) {
      for (const [zone, seconds] of Object.entries(given as Json)) {
        const name = lower(zone);
        const value = num(seconds);
        if (name && value !== undefined) dwell.set(name, Math.max(dwell.get(name) ?? 0, value));
      }
    }
    facts.push({
      l: lower(entry.label),
      z: [...new Set(zones)],
      v: num(entry.maxSpeed) ?? 0,
      w: Object.fromEntries(dwell),
    });
    if (facts.length >= MAX_TRACK_FACTS) break;
  }
  return facts;
}

function trackIdsOf(value: unknown): number[] {
  return Array.isArray(value) ? value.filter((id): id is number => num(id) !== undefined) : [];
}

/** The result's summary text as written (summary, root cause, anomaly descriptions), bounded. */
export function summaryOf(result: unknown): string {
  const json = (result && typeof result === 'object' ? result : {}) as Json;
  const anomalies = Array.isArray(json.anomalies) ? (json.anomalies as Json[]) : [];
  const parts: string[] = [];
  for (const part of [json.summary, json.rootCause, ...anomalies.map((entry) => entry?.description)]) {
    // A root cause usually ends with its anomaly's own words: say them once.
    if (typeof part === 'string' && part.length > 0 && !parts.some((said) => said.includes(part))) {
      parts.push(part);
    }
  }
  return parts.join(' \n ').slice(0, SUMMARY_EXCERPT_CHARS);
}

/**
 * Evaluates at position `at` of `results` (oldest first; the current result is the last). `trace`,
 * when given, collects the paths of the predicates that held at the top level.
 */
type Evaluate = (results: readonly ResultFacts[], at: number, trace?: string[]) => boolean;

export interface CompiledCondition {
  evaluate: Evaluate;
  /** How many earlier results the condition can look at (bounded by MAX_HISTORY). */
  historyDepth: number;
}

export interface Evaluation {
  matched: boolean;
  /** Paths of the predicates that held, e.g. `condition.all.0.object` (for explanations). */
  matchedPaths: string[];
}

function compileNode(node: Condition, path: string): CompiledCondition {
  if ('all' in node) {
    const parts = node.all.map((child, index) => compileNode(child, `${path}.all.${index}`));
    return {
      historyDepth: Math.max(0, ...parts.map((part) => part.historyDepth)),
      evaluate: (results, at, trace) => {
        for (const part of parts) if (!part.evaluate(results, at, trace)) return false;
        return true;
      },
    };
  }
  if ('any' in node) {
    const parts = node.any.map((child, index) => compileNode(child, `${path}.any.${index}`));
    return {
      historyDepth: Math.max(0, ...parts.map((part) => part.historyDepth)),
      evaluate: (results, at, trace) => {
        let matched = false;
        // Every branch runs when tracing, so the explanation lists all that held.
        for (const part of parts) {
          if (part.evaluate(results, at, trace)) {
            matched = true;
            if (!trace) return true;
          }
        }
        return matched;
      },
    };
  }
  if ('not' in node) {
    const inner = compileNode(node.not, `${path}.not`);
    return {
      historyDepth: inner.historyDepth,
      evaluate: (results, at, trace) => {
        const matched = !inner.evaluate(results, at);
        if (matched) trace?.push(`${path}.not`);
        return matched;
      },
    };
  }
  if ('appears' in node || 'disappears' in node || 'persists' in node || 'occurs' in node) {
    return compileTemporal(node, path);
  }
  return compilePredicate(node, path);
}

function leaf(path: string, test: (facts: ResultFacts) => boolean): CompiledCondition {
  return {
    historyDepth: 0,
    evaluate: (results, at, trace) => {
      const matched = test(results[at]!);
      if (matched) trace?.push(path);
      return matched;
    },
  };
}

function compilePredicate(node: Condition, path: string): CompiledCondition {
  if ('object' in node) {
    const label = node.object.label.trim().toLowerCase();
    const minConfidence = node.object.minConfidence ?? 0;
    const minCount = node.object.minCount ?? 1;
    return leaf(`${path}.object`, (facts) => {
      const seen = facts.objects[label];
      if (seen === undefined) return false;
      // With boxes, confidence and count hold jointly: minCount boxes in one frame, each confident enough.
      if (seen.k) return (seen.k[minCount - 1] ?? -1) >= minConfidence;
      return seen.c >= minConfidence && seen.n >= minCount;
    });
  }
  if ('event' in node) return compileEvent(node.event, `${path}.event`);
  if ('track' in node) {
    const label = node.track.label?.trim().toLowerCase();
    const zone = node.track.zone?.trim().toLowerCase();
    const { minSpeed, minDwellSeconds } = node.track;
    return leaf(`${path}.track`, (facts) =>
      (facts.tracks ?? []).some(
        (track) =>
          (label === undefined || track.l === label) &&
          (zone === undefined || track.z.includes(zone) || Object.hasOwn(track.w, zone)) &&
          (minSpeed === undefined || track.v >= minSpeed) &&
          (minDwellSeconds === undefined ||
            (zone === undefined
              ? Math.max(0, ...Object.values(track.w))
              : Object.hasOwn(track.w, zone)
                ? track.w[zone]!
                : 0) >= minDwellSeconds),
      ),
    );
  }
  if ('action' in node) {
    const action = node.action.action.trim().toLowerCase();
    const actor = node.action.actor?.trim().toLowerCase();
    const target = node.action.target?.trim().toLowerCase();
    return leaf(`${path}.action`, (facts) =>
      facts.actions.some(
        (fact) =>
          fact.a === action &&
          (actor === undefined || fact.s === actor) &&
          (target === undefined || fact.t === target),
      ),
    );
  }
  if ('anomaly' in node) {
    const type = node.anomaly.type.trim().toLowerCase();
    const minRank = SEVERITY_RANK[node.anomaly.minSeverity ?? 'low']!;
    return leaf(`${path}.anomaly`, (facts) => {
      const rank = facts.anomalies[type];
      return rank !== undefined && rank >= minRank;
    });
  }
  if ('verdict' in node) {
    const verdict = node.verdict;
    return leaf(`${path}.verdict`, (facts) => facts.verdict === verdict);
  }
  if ('confidence' in node) {
    const min = node.confidence.min ?? 0;
    const max = node.confidence.max ?? 1;
    return leaf(
      `${path}.confidence`,
      (facts) => facts.confidence !== undefined && facts.confidence >= min && facts.confidence <= max,
    );
  }
  if ('text' in node) {
    const needle = node.text.contains.toLowerCase();
    const where = node.text.in ?? 'any';
    return leaf(
      `${path}.text`,
      (facts) =>
        (where !== 'reasoning' && facts.summary.includes(needle)) ||
        (where !== 'summary' && facts.reasoning.includes(needle)),
    );
  }
  throw new Error(`${path}: unknown condition ${Object.keys(node).join(', ')}`);
}

function compileEvent(event: EventPredicate, path: string): CompiledCondition {
  const zone = event.zone?.trim().toLowerCase();
  const label = event.label?.trim().toLowerCase();
  const { type, direction, minSeconds, minCount } = event;
  const matches = (fact: EventFacts): boolean =>
    fact.t === type &&
    (zone === undefined || fact.z === zone) &&
    (label === undefined || fact.l === label) &&
    (direction === undefined || fact.d === direction) &&
    (minSeconds === undefined || (fact.s !== undefined && fact.s >= minSeconds));
  return leaf(path, (facts) => {
    const matching = (facts.events ?? []).filter(matches);
    if (matching.length === 0) return false;
    if (minCount === undefined) return true;
    // A crowd says how many it is; other events count the distinct tracks that did it.
    if (type === 'crowd') return matching.some((fact) => (fact.n ?? 0) >= minCount);
    return new Set(matching.flatMap((fact) => fact.k)).size >= minCount;
  });
}

function compileTemporal(node: Condition, path: string): CompiledCondition {
  if ('appears' in node) {
    const when = compileNode(node.appears.when, `${path}.appears.when`);
    const k = node.appears.absentFor;
    return temporal(`${path}.appears`, when, k, (results, at) => {
      if (!when.evaluate(results, at)) return false;
      // Windows before the stream's first count as absent: a person there from the start appears.
      for (let back = 1; back <= k && at - back >= 0; back += 1) {
        if (when.evaluate(results, at - back)) return false;
      }
      return true;
    });
  }
  if ('disappears' in node) {
    const when = compileNode(node.disappears.when, `${path}.disappears.when`);
    const k = node.disappears.presentFor;
    return temporal(`${path}.disappears`, when, k, (results, at) => {
      if (at - k < 0 || when.evaluate(results, at)) return false;
      for (let back = 1; back <= k; back += 1) if (!when.evaluate(results, at - back)) return false;
      return true;
    });
  }
  if ('persists' in node) {
    const when = compileNode(node.persists.when, `${path}.persists.when`);
    const n = node.persists.windows;
    return temporal(`${path}.persists`, when, n - 1, (results, at) => {
      if (at - (n - 1) < 0) return false;
      for (let back = 0; back < n; back += 1) if (!when.evaluate(results, at - back)) return false;
      return true;
    });
  }
  if ('occurs' in node) {
    const when = compileNode(node.occurs.when, `${path}.occurs.when`);
    const { times, withinSeconds } = node.occurs;
    // Time-bounded, not count-bounded: it may look as far back as the history goes.
    return temporal(`${path}.occurs`, when, MAX_HISTORY, (results, at) => {
      const since = results[at]!.endAt - withinSeconds * 1000;
      let count = 0;
      for (let index = at; index >= 0 && results[index]!.endAt >= since; index -= 1) {
        if (when.evaluate(results, index)) count += 1;
        if (count >= times) return true;
      }
      return false;
    });
  }
  throw new Error(`${path}: not a temporal condition`);
}

function temporal(
  path: string,
  when: CompiledCondition,
  ownDepth: number,
  test: (results: readonly ResultFacts[], at: number) => boolean,
): CompiledCondition {
  return {
    historyDepth: Math.min(MAX_HISTORY, ownDepth + when.historyDepth),
    evaluate: (results, at, trace) => {
      const matched = test(results, at);
      if (matched) trace?.push(path);
      return matched;
    },
  };
}

export function compileCondition(condition: Condition): CompiledCondition {
  return compileNode(condition, 'condition');
}

/**
 * Evaluates a compiled condition on `current` after `history` (earlier results, oldest first).
 */
export function evaluateCondition(
  compiled: CompiledCondition,
  current: ResultFacts,
  history: readonly ResultFacts[],
  options: { explain?: boolean } = {},
): Evaluation {
  const results = history.length ? [...history, current] : [current];
  const trace = options.explain ? [] : undefined;
  const matched = compiled.evaluate(results, results.length - 1, trace);
  return { matched, matchedPaths: matched ? (trace ?? []) : [] };
}

/** Evaluates on position `at` of an already assembled list (backtests walk a list once). */
export function evaluateAt(
  compiled: CompiledCondition,
  results: readonly ResultFacts[],
  at: number,
): boolean {
  return compiled.evaluate(results, at);
}

const MAX_CACHED_RULES = 10_000;

/** Compiled conditions by rule id and updatedAt: an edited rule is compiled again. */
export class CompiledRuleCache {
  private readonly cache = new Map<string, CompiledCondition>();

  get(rule: { id: string; updatedAt: Date; condition: unknown }): CompiledCondition {
    const key = `${rule.id}:${rule.updatedAt.getTime()}`;
    let compiled = this.cache.get(key);
    if (!compiled) {
      compiled = compileCondition(rule.condition as Condition);
      if (this.cache.size >= MAX_CACHED_RULES) this.cache.clear();
      this.cache.set(key, compiled);
    }
    return compiled;
  }
}
