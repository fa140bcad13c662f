import type { Condition } from './rule-definition';
import {
  summaryOf,
  compileCondition,
  CompiledRuleCache,
  evaluateCondition,
  factsOf,
  MAX_EVENT_FACTS,
  MAX_HISTORY,
  MAX_TRACK_FACTS,
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

/** Boxes of `label`, one per [frame, confidence]. */
function boxed(label: string, boxes: [number, number][]) {
  return {
    label,
    count: Math.max(
      0,
      ...[...new Set(boxes.map(([frame]) => frame))].map(
        (frame) => boxes.filter(([f]) => f === frame).length,
      ),
    ),
    confidence: Math.max(0, ...boxes.map(([, confidence]) => confidence)),
    frames: [...new Set(boxes.map(([frame]) => frame))],
    boxes: boxes.map(([frame, confidence]) => ({
      frame,
      x: 0.1,
      y: 0.1,
      width: 0.1,
      height: 0.3,
      confidence,
    })),
  };
}

let eventSequence = 0;
/** An event as the analyser reports it (only the fields the test gives beyond the required ones). */
function event(type: string, parts: Record<string, unknown> = {}) {
  eventSequence += 1;
  return {
    id: `${type}:${eventSequence}`,
    type,
    label: 'person',
    trackIds: [eventSequence],
    start: '2026-12-07T13:00:00.000Z',
    end: '2026-12-07T13:00:00.000Z',
    severity: 'medium',
    evidence: [],
    ...parts,
  };
}

function track(id: number, parts: Record<string, unknown> = {}) {
  return {
    id,
    label: 'person',
    firstSeen: '2026-12-07T12:59:00.000Z',
    lastSeen: '2026-12-07T13:00:00.000Z',
    zones: [],
    maxSpeed: 0.5,
    dwellSeconds: {},
    ...parts,
  };
}

describe('factsOf: boxes, events and tracks', () => {
  it('keeps per label the best k-th confidence within one frame', () => {
    const facts = result(0, {
      objects: [
        boxed('Person', [
          [0, 0.95],
          [0, 0.6],
          [1, 0.9],
          [1, 0.85],
          [1, 0.5],
        ]),
        boxed('person', [[1, 0.7]]),
        { label: 'car', confidence: 0.8, count: 2 },
      ],
    });
    // frame 0: .95 .6; frame 1: .9 .85 .7 .5 -> best first .95, second .85, third .7, fourth .5
    expect(facts.objects.person).toEqual({ c: 0.95, n: 3, k: [0.95, 0.85, 0.7, 0.5] });
    expect(facts.objects.car).toEqual({ c: 0.8, n: 2 });
  });

  it('keeps events and tracks compactly, lower-casing names, and leaves them out when absent', () => {
    const facts = result(0, {
      events: [
        event('cross', { zone: ' Walkway ', label: 'Person', direction: 'to-left', trackIds: [3] }),
        event('crowd', { zone: 'Lawn', trackIds: [1, 2, 3], count: 3 }),
        event('dwell', { zone: 'Lawn', seconds: 42 }),
        { type: '' },
      ],
      tracks: [
        track(3, { zones: ['Lawn', 'lawn'], maxSpeed: 2.1, dwellSeconds: { Lawn: 12, __proto__: 3 } }),
      ],
    });
    expect(facts.events).toEqual([
      { t: 'cross', z: 'walkway', l: 'person', d: 'to-left', k: [3] },
      { t: 'crowd', z: 'lawn', l: 'person', n: 3, k: [1, 2, 3] },
      { t: 'dwell', z: 'lawn', l: 'person', s: 42, k: [expect.any(Number)] },
    ]);
    expect(facts.tracks).toEqual([{ l: 'person', z: ['lawn'], v: 2.1, w: { lawn: 12 } }]);
    const plain = result(0, person());
    expect(plain.events).toBeUndefined();
    expect(plain.tracks).toBeUndefined();
  });

  it('bounds the events and tracks it keeps', () => {
    const facts = result(0, {
      events: Array.from({ length: 500 }, () => event('run')),
      tracks: Array.from({ length: 500 }, (_, id) => track(id)),
    });
    expect(facts.events).toHaveLength(MAX_EVENT_FACTS);
    expect(facts.tracks).toHaveLength(MAX_TRACK_FACTS);
  });
});

describe('object: confidence and count jointly', () => {
  const fourPeople: Condition = { object: { label: 'person', minConfidence: 0.9, minCount: 4 } };

  it('with boxes, needs minCount boxes at minConfidence or more in one frame', () => {
    // Four confident people, but never four in the same frame.
    const spread = result(0, {
      objects: [
        boxed('person', [
          [0, 0.95],
          [0, 0.94],
          [0, 0.5],
          [0, 0.5],
          [1, 0.93],
          [1, 0.92],
          [1, 0.91],
          [1, 0.4],
        ]),
      ],
    });
    expect(holds(fourPeople, spread)).toBe(false);
    expect(holds({ object: { label: 'person', minConfidence: 0.9, minCount: 3 } }, spread)).toBe(true);
    expect(holds({ object: { label: 'person', minCount: 4 } }, spread)).toBe(true);
    expect(holds({ object: { label: 'person', minConfidence: 0.95 } }, spread)).toBe(true);
    expect(holds({ object: { label: 'person', minConfidence: 0.96 } }, spread)).toBe(false);
    const together = result(0, {
      objects: [
        boxed('person', [
          [2, 0.9],
          [2, 0.91],
          [2, 0.99],
          [2, 0.9],
        ]),
      ],
    });
    expect(holds(fourPeople, together)).toBe(true);
    expect(holds({ ...fourPeople, object: { ...fourPeople.object, minCount: 5 } }, together)).toBe(false);
  });

  it('without boxes (a model’s result), compares the best confidence and the largest count', () => {
    // The model says four people, its best at 0.95: the fields are not tied to one frame.
    expect(holds(fourPeople, result(0, person(0.95, 4)))).toBe(true);
    expect(holds(fourPeople, result(0, person(0.85, 4)))).toBe(false);
    expect(holds(fourPeople, result(0, person(0.95, 3)))).toBe(false);
    expect(holds(fourPeople, result(0, { objects: [{ ...person(0.95, 4).objects[0], boxes: [] }] }))).toBe(
      true,
    );
  });
});

describe('event predicates', () => {
  it('type and zone (by name, any case, trimmed), label and direction', () => {
    const facts = result(0, {
      events: [
        event('enter', { zone: 'Lawn' }),
        event('cross', { zone: 'Walkway', label: 'bicycle', direction: 'to-right' }),
      ],
    });
    expect(holds({ event: { type: 'enter', zone: ' LAWN ' } }, facts)).toBe(true);
    expect(holds({ event: { type: 'enter', zone: 'lawn', label: 'person' } }, facts)).toBe(true);
    expect(holds({ event: { type: 'enter', zone: 'lawn', label: 'dog' } }, facts)).toBe(false);
    expect(holds({ event: { type: 'enter', zone: 'walkway' } }, facts)).toBe(false);
    expect(holds({ event: { type: 'leave', zone: 'lawn' } }, facts)).toBe(false);
    expect(holds({ event: { type: 'cross', zone: 'walkway', direction: 'to-right' } }, facts)).toBe(true);
    expect(holds({ event: { type: 'cross', zone: 'walkway', direction: 'to-left' } }, facts)).toBe(false);
    expect(holds({ event: { type: 'cross', zone: 'walkway', label: 'bicycle' } }, facts)).toBe(true);
  });

  it('minSeconds compares how long it stayed (dwell) or was unattended (left-behind)', () => {
    const facts = result(0, {
      events: [
        event('dwell', { zone: 'Walkway', seconds: 45 }),
        event('left-behind', { label: 'suitcase', seconds: 120 }),
      ],
    });
    expect(holds({ event: { type: 'dwell', zone: 'walkway', minSeconds: 45 } }, facts)).toBe(true);
    expect(holds({ event: { type: 'dwell', zone: 'walkway', minSeconds: 46 } }, facts)).toBe(false);
    expect(holds({ event: { type: 'left-behind', label: 'suitcase', minSeconds: 60 } }, facts)).toBe(true);
    expect(holds({ event: { type: 'left-behind', minSeconds: 121 } }, facts)).toBe(false);
    // An event that does not say how long never meets a minimum.
    expect(
      holds(
        { event: { type: 'dwell', zone: 'x', minSeconds: 0 } },
        result(0, { events: [event('dwell', { zone: 'x' })] }),
      ),
    ).toBe(false);
  });

  it('minCount: a crowd’s count, otherwise the distinct tracks among the matches', () => {
    const crowd = result(0, { events: [event('crowd', { zone: 'Walkway', trackIds: [1, 2, 3], count: 5 })] });
    expect(holds({ event: { type: 'crowd', zone: 'walkway', minCount: 5 } }, crowd)).toBe(true);
    expect(holds({ event: { type: 'crowd', zone: 'walkway', minCount: 6 } }, crowd)).toBe(false);
    const entering = result(0, {
      events: [
        event('enter', { zone: 'Lawn', trackIds: [7] }),
        event('enter', { zone: 'Lawn', trackIds: [8] }),
        event('enter', { zone: 'Lawn', trackIds: [7] }),
        event('enter', { zone: 'Gate', trackIds: [9] }),
      ],
    });
    expect(holds({ event: { type: 'enter', zone: 'lawn', minCount: 2 } }, entering)).toBe(true);
    // track 7 entered twice: still two tracks
    expect(holds({ event: { type: 'enter', zone: 'lawn', minCount: 3 } }, entering)).toBe(false);
  });

  it('run, fall and left-behind need no zone, and match one when given', () => {
    const facts = result(0, {
      events: [event('run', { speed: 2.5 }), event('fall', { zone: 'Stairs' })],
    });
    expect(holds({ event: { type: 'run' } }, facts)).toBe(true);
    expect(holds({ event: { type: 'run', zone: 'lawn' } }, facts)).toBe(false);
    expect(holds({ event: { type: 'fall', zone: 'stairs' } }, facts)).toBe(true);
    expect(holds({ event: { type: 'left-behind' } }, facts)).toBe(false);
  });

  it('never holds on a result without events, nor on facts kept before events existed', () => {
    expect(holds({ event: { type: 'run' } }, result(0, person()))).toBe(false);
    const older = { ...result(0, { events: [event('run')] }) };
    delete older.events;
    expect(holds({ event: { type: 'run' } }, older)).toBe(false);
  });
});

describe('track predicates', () => {
  const facts = result(0, {
    tracks: [
      track(1, { zones: ['Lawn'], maxSpeed: 0.4, dwellSeconds: { Lawn: 30 } }),
      track(2, { zones: ['Walkway'], maxSpeed: 2.6, dwellSeconds: { Walkway: 4 } }),
      track(3, { label: 'dog', zones: ['Lawn'], maxSpeed: 3.5, dwellSeconds: { Lawn: 2 } }),
    ],
  });

  it('label and zone alone: such a track was seen', () => {
    expect(holds({ track: { label: 'dog' } }, facts)).toBe(true);
    expect(holds({ track: { label: 'cat' } }, facts)).toBe(false);
    expect(holds({ track: { label: 'person', zone: ' WALKWAY' } }, facts)).toBe(true);
    expect(holds({ track: { label: 'dog', zone: 'walkway' } }, facts)).toBe(false);
  });

  it('minSpeed: one track of that label (and zone) at least that fast', () => {
    expect(holds({ track: { label: 'person', minSpeed: 2.5 } }, facts)).toBe(true);
    expect(holds({ track: { label: 'person', minSpeed: 2.7 } }, facts)).toBe(false);
    // The fast person was on the walkway, not the lawn; the fast dog is not a person.
    expect(holds({ track: { label: 'person', zone: 'lawn', minSpeed: 2 } }, facts)).toBe(false);
    expect(holds({ track: { zone: 'lawn', minSpeed: 3 } }, facts)).toBe(true);
  });

  it('minDwellSeconds: in the zone given, or in any zone', () => {
    expect(holds({ track: { zone: 'lawn', minDwellSeconds: 30 } }, facts)).toBe(true);
    expect(holds({ track: { zone: 'walkway', minDwellSeconds: 5 } }, facts)).toBe(false);
    expect(holds({ track: { minDwellSeconds: 30 } }, facts)).toBe(true);
    expect(holds({ track: { minDwellSeconds: 31 } }, facts)).toBe(false);
    expect(holds({ track: { label: 'dog', minDwellSeconds: 3 } }, facts)).toBe(false);
  });

  it('every given field holds for the same track', () => {
    // Track 1 dwelt 30 s but is slow; track 2 is fast but dwelt 4 s.
    expect(holds({ track: { label: 'person', minSpeed: 2, minDwellSeconds: 10 } }, facts)).toBe(false);
    expect(holds({ track: { label: 'person', minSpeed: 0.3, minDwellSeconds: 10 } }, facts)).toBe(true);
  });

  it('a zone named like an object property matches only a zone of that name', () => {
    const odd = result(0, { tracks: [track(1, { zones: [], dwellSeconds: { toString: 9 } })] });
    expect(holds({ track: { zone: 'constructor' } }, odd)).toBe(false);
    expect(holds({ track: { zone: 'constructor', minDwellSeconds: 0 } }, odd)).toBe(false);
    expect(holds({ track: { zone: 'tostring', minDwellSeconds: 9 } }, odd)).toBe(true);
  });
});

describe('events and tracks in temporal forms', () => {
  const enters = (zone: string, trackId: number) => ({
    events: [event('enter', { zone, trackIds: [trackId] })],
  });

  it('occurs: enough events within the time, each window’s events counted once', () => {
    const threeEntries: Condition = {
      occurs: { when: { event: { type: 'enter', zone: 'lawn' } }, times: 3, withinSeconds: 30 },
    };
    expect(
      holds(threeEntries, ...sequenceOf([enters('Lawn', 1), empty(), enters('Lawn', 2), enters('Lawn', 3)])),
    ).toBe(true);
    expect(
      holds(threeEntries, ...sequenceOf([enters('Lawn', 1), empty(), enters('Gate', 2), enters('Lawn', 3)])),
    ).toBe(false);
  });

  it('appears and persists over tracks and joint object counts', () => {
    const loiterer = { tracks: [track(5, { zones: ['Walkway'], dwellSeconds: { Walkway: 40 } })] };
    const persists: Condition = {
      persists: { when: { track: { zone: 'walkway', minDwellSeconds: 30 } }, windows: 2 },
    };
    expect(holds(persists, ...sequenceOf([loiterer, loiterer]))).toBe(true);
    expect(holds(persists, ...sequenceOf([empty(), loiterer]))).toBe(false);
    const crowd = {
      objects: [
        boxed('person', [
          [0, 0.9],
          [0, 0.9],
          [0, 0.9],
        ]),
      ],
    };
    const spread = {
      objects: [
        boxed('person', [
          [0, 0.9],
          [1, 0.9],
          [2, 0.9],
        ]),
      ],
    };
    const appears: Condition = {
      appears: { when: { object: { label: 'person', minConfidence: 0.8, minCount: 3 } }, absentFor: 1 },
    };
    expect(holds(appears, ...sequenceOf([spread, crowd]))).toBe(true);
    expect(holds(appears, ...sequenceOf([crowd, crowd]))).toBe(false);
  });

  it('disappears after a crowd, and explains the event’s path', () => {
    const crowd = { events: [event('crowd', { zone: 'Walkway', count: 4 })] };
    const disappears: Condition = {
      all: [
        { disappears: { when: { event: { type: 'crowd', zone: 'walkway' } }, presentFor: 1 } },
        { event: { type: 'crowd-end', zone: 'walkway' } },
      ],
    };
    const [current, history] = sequenceOf([crowd, { events: [event('crowd-end', { zone: 'Walkway' })] }]);
    expect(evaluateCondition(compileCondition(disappears), current, history, { explain: true })).toEqual({
      matched: true,
      matchedPaths: ['condition.all.0.disappears', 'condition.all.1.event'],
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

describe('summaryOf', () => {
  it('says the root cause and the anomalies, each sentence once', () => {
    const dwell = 'person #4 stayed 20 s in "walkway" (since 12:00:13): loitering';
    const summary = summaryOf({
      rootCause: `person #4 appeared at 12:00:00 -> ${dwell}`,
      anomalies: [
        { type: 'loitering:walkway', description: dwell },
        { type: 'nsfw-sexy', description: 'NSFW classifier: Sexy in 1 of 8 frames' },
      ],
    });
    expect(summary).toBe(
      `person #4 appeared at 12:00:00 -> ${dwell} \n NSFW classifier: Sexy in 1 of 8 frames`,
    );
  });
});
