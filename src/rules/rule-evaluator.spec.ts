import type { Condition } from './rule-definition';
import {
  compileCondition,
  CompiledRuleCache,
  evaluateCondition,
  factsOf,
  MAX_HISTORY,
  type ResultFacts,
} from './rule-evaluator';

let sequence = 0;

/** A result with the given parts, its window ending `second` seconds into the stream. */
function result(second: number, parts: Record<string, unknown> = {}, reasoning = ''): ResultFacts {
  sequence += 1;
  return factsOf(
    {
      id: `a${sequence}`,
      windowId: `w${sequence}`,
      result: { objects: [], actions: [], anomalies: [], timestamp: '', ...parts },
      reasoning,
    },
    second * 1000,
  );
}

const person = (confidence = 0.9, count = 1) => ({ objects: [{ label: 'Person', confidence, count }] });
const empty = () => ({});

function holds(condition: Condition, current: ResultFacts, history: ResultFacts[] = []): boolean {
  return evaluateCondition(compileCondition(condition), current, history).matched;
}

/** Results 0, 10, 20 … seconds from a list of parts; returns [current, history]. */
function sequenceOf(parts: Record<string, unknown>[]): [ResultFacts, ResultFacts[]] {
  const all = parts.map((part, index) => result(index * 10, part));
  return [all.at(-1)!, all.slice(0, -1)];
}

describe('factsOf', () => {
  it('keeps the highest confidence and count per lower-case label, and drops reasoning on request', () => {
    const facts = factsOf(
      {
        id: 'a',
        windowId: 'w',
        result: {
          objects: [
            { label: 'Person', confidence: 0.4, count: 3 },
            { label: 'person', confidence: 0.8, count: 1 },
            { label: '' },
          ],
          actions: [{ actor: 'Person', action: 'Climbing', target: 'Fence' }],
          anomalies: [{ type: 'Intrusion', severity: 'high', description: 'Someone climbs' }],
          rootCause: 'Gate open',
          verdict: 'violation',
          confidence: 0.7,
        },
        reasoning: 'Long THOUGHT',
      },
      new Date(5_000),
      { keepReasoning: false },
    );
    expect(facts).toEqual({
      analysisId: 'a',
      windowId: 'w',
      endAt: 5_000,
      objects: { person: { c: 0.8, n: 3 } },
      actions: [{ a: 'climbing', s: 'person', t: 'fence' }],
      anomalies: { intrusion: 2 },
      verdict: 'violation',
      confidence: 0.7,
      summary: 'gate open \n someone climbs',
      reasoning: '',
    });
  });

  it('tolerates a result that is null or lacks the lists', () => {
    const facts = factsOf({ id: 'a', windowId: 'w', result: null }, 0);
    expect(facts.objects).toEqual({});
    expect(facts.verdict).toBeUndefined();
    expect(facts.confidence).toBeUndefined();
  });
});

describe('predicates on the current result', () => {
  it('object: label (any case), minimum confidence and count', () => {
    expect(holds({ object: { label: 'PERSON' } }, result(0, person()))).toBe(true);
    expect(holds({ object: { label: 'car' } }, result(0, person()))).toBe(false);
    expect(holds({ object: { label: 'person', minConfidence: 0.9 } }, result(0, person(0.9)))).toBe(true);
    expect(holds({ object: { label: 'person', minConfidence: 0.91 } }, result(0, person(0.9)))).toBe(false);
    expect(holds({ object: { label: 'person', minCount: 2 } }, result(0, person(0.9, 2)))).toBe(true);
    expect(holds({ object: { label: 'person', minCount: 3 } }, result(0, person(0.9, 2)))).toBe(false);
  });

  it('object without a confidence or count counts as certain and single', () => {
    const facts = result(0, { objects: [{ label: 'dog' }] });
    expect(holds({ object: { label: 'dog', minConfidence: 1 } }, facts)).toBe(true);
    expect(holds({ object: { label: 'dog', minCount: 2 } }, facts)).toBe(false);
  });

  it('action: the action, and actor and target when given', () => {
    const facts = result(0, { actions: [{ actor: 'person', action: 'climbing', target: 'fence' }] });
    expect(holds({ action: { action: 'climbing' } }, facts)).toBe(true);
    expect(holds({ action: { action: 'Climbing', actor: 'person', target: 'fence' } }, facts)).toBe(true);
    expect(holds({ action: { action: 'climbing', target: 'wall' } }, facts)).toBe(false);
    expect(holds({ action: { action: 'climbing', actor: 'dog' } }, facts)).toBe(false);
    expect(holds({ action: { action: 'running' } }, facts)).toBe(false);
  });

  it('anomaly: the type and a minimum severity', () => {
    const facts = result(0, { anomalies: [{ type: 'intrusion', severity: 'medium' }] });
    expect(holds({ anomaly: { type: 'intrusion' } }, facts)).toBe(true);
    expect(holds({ anomaly: { type: 'intrusion', minSeverity: 'medium' } }, facts)).toBe(true);
    expect(holds({ anomaly: { type: 'intrusion', minSeverity: 'high' } }, facts)).toBe(false);
    expect(holds({ anomaly: { type: 'fire' } }, facts)).toBe(false);
  });

  it('verdict and confidence (inclusive bounds; no confidence never matches)', () => {
    const facts = result(0, { verdict: 'review', confidence: 0.5 });
    expect(holds({ verdict: 'review' }, facts)).toBe(true);
    expect(holds({ verdict: 'violation' }, facts)).toBe(false);
    expect(holds({ confidence: { min: 0.5 } }, facts)).toBe(true);
    expect(holds({ confidence: { max: 0.5 } }, facts)).toBe(true);
    expect(holds({ confidence: { min: 0.6 } }, facts)).toBe(false);
    expect(holds({ confidence: { min: 0.1, max: 0.4 } }, facts)).toBe(false);
    expect(holds({ confidence: { min: 0 } }, result(0, {}))).toBe(false);
  });

  it('text: in the summary, the reasoning or either, case-insensitively', () => {
    const facts = result(0, { rootCause: 'The gate was left OPEN' }, 'I see a Ladder.');
    expect(holds({ text: { contains: 'gate was left open' } }, facts)).toBe(true);
    expect(holds({ text: { contains: 'ladder', in: 'reasoning' } }, facts)).toBe(true);
    expect(holds({ text: { contains: 'ladder', in: 'summary' } }, facts)).toBe(false);
    expect(holds({ text: { contains: 'gate', in: 'reasoning' } }, facts)).toBe(false);
    expect(holds({ text: { contains: 'fire' } }, facts)).toBe(false);
  });

  it('all / any / not', () => {
    const facts = result(0, { ...person(), verdict: 'violation' });
    const isPerson: Condition = { object: { label: 'person' } };
    const isCar: Condition = { object: { label: 'car' } };
    expect(holds({ all: [isPerson, { verdict: 'violation' }] }, facts)).toBe(true);
    expect(holds({ all: [isPerson, isCar] }, facts)).toBe(false);
    expect(holds({ any: [isCar, isPerson] }, facts)).toBe(true);
    expect(holds({ any: [isCar, { verdict: 'safe' }] }, facts)).toBe(false);
    expect(holds({ not: isCar }, facts)).toBe(true);
    expect(holds({ not: isPerson }, facts)).toBe(false);
  });

  it('explains which predicates held', () => {
    const facts = result(0, { ...person(), verdict: 'violation' });
    const compiled = compileCondition({
      any: [{ object: { label: 'person' } }, { object: { label: 'car' } }, { verdict: 'violation' }],
    });
    expect(evaluateCondition(compiled, facts, [], { explain: true })).toEqual({
      matched: true,
      matchedPaths: ['condition.any.0.object', 'condition.any.2.verdict'],
    });
    expect(evaluateCondition(compileCondition({ verdict: 'safe' }), facts, [], { explain: true })).toEqual({
      matched: false,
      matchedPaths: [],
    });
  });
});

describe('temporal predicates over the stream’s recent results', () => {
  const appears: Condition = { appears: { when: { object: { label: 'person' } }, absentFor: 2 } };

  it('appears: present now and absent in the previous k windows', () => {
    expect(holds(appears, ...sequenceOf([empty(), empty(), person()]))).toBe(true);
    expect(holds(appears, ...sequenceOf([person(), empty(), person()]))).toBe(false);
    expect(holds(appears, ...sequenceOf([empty(), person(), person()]))).toBe(false);
    // present three windows ago: outside k = 2
    expect(holds(appears, ...sequenceOf([person(), empty(), empty(), person()]))).toBe(true);
    expect(holds(appears, ...sequenceOf([empty(), empty(), empty()]))).toBe(false);
  });

  it('appears at the start of a stream: missing windows count as absent', () => {
    expect(holds(appears, result(0, person()))).toBe(true);
    expect(holds(appears, ...sequenceOf([empty(), person()]))).toBe(true);
  });

  it('disappears: absent now, present in each of the previous k windows (which must exist)', () => {
    const disappears: Condition = { disappears: { when: { object: { label: 'person' } }, presentFor: 2 } };
    expect(holds(disappears, ...sequenceOf([person(), person(), empty()]))).toBe(true);
    expect(holds(disappears, ...sequenceOf([empty(), person(), empty()]))).toBe(false);
    expect(holds(disappears, ...sequenceOf([person(), person(), person()]))).toBe(false);
    expect(holds(disappears, ...sequenceOf([person(), empty()]))).toBe(false);
  });

  it('persists: present in each of the last n windows, the current one included', () => {
    const persists: Condition = { persists: { when: { object: { label: 'person' } }, windows: 3 } };
    expect(holds(persists, ...sequenceOf([person(), person(), person()]))).toBe(true);
    expect(holds(persists, ...sequenceOf([empty(), person(), person(), person()]))).toBe(true);
    expect(holds(persists, ...sequenceOf([person(), empty(), person()]))).toBe(false);
    expect(holds(persists, ...sequenceOf([person(), person()]))).toBe(false);
    expect(
      holds({ persists: { when: { object: { label: 'person' } }, windows: 1 } }, result(0, person())),
    ).toBe(true);
  });

  it('occurs: at least m times within t seconds of the current window’s end', () => {
    const occurs: Condition = {
      occurs: { when: { object: { label: 'person' } }, times: 3, withinSeconds: 20 },
    };
    // windows at 0, 10, 20, 30 s: within 20 s of 30 s are 10, 20, 30
    expect(holds(occurs, ...sequenceOf([empty(), person(), person(), person()]))).toBe(true);
    expect(holds(occurs, ...sequenceOf([person(), person(), empty(), person()]))).toBe(false);
    expect(holds(occurs, ...sequenceOf([person(), empty(), person(), person()]))).toBe(false);
    // the current window need not match itself
    expect(holds(occurs, ...sequenceOf([person(), person(), person(), empty()]))).toBe(false);
    expect(
      holds(
        { occurs: { when: { object: { label: 'person' } }, times: 2, withinSeconds: 20 } },
        ...sequenceOf([empty(), person(), person(), empty()]),
      ),
    ).toBe(true);
  });

  it('nests: a temporal form inside another, and inside all/not', () => {
    const nested: Condition = {
      appears: { when: { persists: { when: { object: { label: 'person' } }, windows: 2 } }, absentFor: 1 },
    };
    expect(holds(nested, ...sequenceOf([empty(), person(), person()]))).toBe(true);
    expect(holds(nested, ...sequenceOf([person(), person(), person()]))).toBe(false);
    expect(compileCondition(nested).historyDepth).toBe(2);
    const combined: Condition = { all: [appears, { not: { verdict: 'safe' } }] };
    expect(holds(combined, ...sequenceOf([empty(), empty(), { ...person(), verdict: 'review' }]))).toBe(true);
    expect(holds(combined, ...sequenceOf([empty(), empty(), { ...person(), verdict: 'safe' }]))).toBe(false);
  });

  it('reports the history each condition needs, bounded', () => {
    expect(compileCondition({ object: { label: 'x' } }).historyDepth).toBe(0);
    expect(compileCondition(appears).historyDepth).toBe(2);
    expect(compileCondition({ persists: { when: { verdict: 'safe' }, windows: 5 } }).historyDepth).toBe(4);
    expect(
      compileCondition({ occurs: { when: { verdict: 'safe' }, times: 2, withinSeconds: 60 } }).historyDepth,
    ).toBe(MAX_HISTORY);
    expect(
      compileCondition({
        all: [
          { disappears: { when: { verdict: 'safe' }, presentFor: 7 } },
          { appears: { when: { appears: { when: { verdict: 'safe' }, absentFor: 100 } }, absentFor: 100 } },
        ],
      }).historyDepth,
    ).toBe(MAX_HISTORY);
  });
});

describe('CompiledRuleCache', () => {
  it('compiles once per rule version and again after an edit', () => {
    const cache = new CompiledRuleCache();
    const rule = { id: 'r', updatedAt: new Date(1), condition: { verdict: 'safe' } };
    const first = cache.get(rule);
    expect(cache.get({ ...rule })).toBe(first);
    const edited = cache.get({ ...rule, updatedAt: new Date(2), condition: { verdict: 'violation' } });
    expect(edited).not.toBe(first);
    expect(evaluateCondition(edited, result(0, { verdict: 'violation' }), []).matched).toBe(true);
  });

  it('throws on a stored condition it does not know (the runner counts it as a failed rule)', () => {
    expect(() =>
      new CompiledRuleCache().get({ id: 'r', updatedAt: new Date(), condition: { bogus: 1 } }),
    ).toThrow(/unknown condition bogus/);
  });
});
