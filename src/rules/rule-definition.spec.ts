import {
  actionSchema,
  Condition,
  conditionSchema,
  conditionShapeProblems,
  MAX_CONDITION_DEPTH,
  MAX_CONDITION_NODES,
  labelsInCondition,
} from './rule-definition';

const person: Condition = { object: { label: 'person' } };

function issuePaths(value: unknown): string[] {
  const parsed = conditionSchema.safeParse(value);
  if (parsed.success) throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
  return parsed.error.issues.map((issue) => issue.path.join('.'));
}

/** `{not:{not:…{object}}}` with `levels` nodes in a chain. */
function chain(levels: number): Condition {
  let node: Condition = person;
  for (let level = 1; level < levels; level += 1) node = { not: node };
  return node;
}

describe('conditionSchema', () => {
  describe('accepts', () => {
    it.each<[string, Condition]>([
      ['object (label only)', { object: { label: 'person' } }],
      ['object (all fields)', { object: { label: 'knife', minConfidence: 0.7, minCount: 2 } }],
      ['event enter', { event: { type: 'enter', zone: 'Lawn' } }],
      [
        'event cross (all fields)',
        { event: { type: 'cross', zone: 'Walkway', label: 'person', direction: 'to-left', minCount: 2 } },
      ],
      ['event dwell with minSeconds', { event: { type: 'dwell', zone: 'Walkway', minSeconds: 30 } }],
      ['event crowd with minCount', { event: { type: 'crowd', zone: 'Walkway', minCount: 4 } }],
      ['event run without a zone', { event: { type: 'run', label: 'person' } }],
      ['event fall in a zone', { event: { type: 'fall', zone: 'Stairs' } }],
      ['event left-behind', { event: { type: 'left-behind', label: 'suitcase', minSeconds: 60 } }],
      ['track by label', { track: { label: 'person' } }],
      ['track (all fields)', { track: { label: 'person', zone: 'Lawn', minSpeed: 2, minDwellSeconds: 30 } }],
      [
        'events and tracks in temporal forms',
        {
          any: [
            { occurs: { when: { event: { type: 'enter', zone: 'Lawn' } }, times: 3, withinSeconds: 60 } },
            { persists: { when: { track: { zone: 'Walkway', minDwellSeconds: 20 } }, windows: 3 } },
          ],
        },
      ],
      ['action', { action: { action: 'hit' } }],
      ['action with actor and target', { action: { action: 'hit', actor: 'person', target: 'person' } }],
      ['anomaly', { anomaly: { type: 'fire' } }],
      ['anomaly with minSeverity', { anomaly: { type: 'fire', minSeverity: 'high' } }],
      ['verdict safe', { verdict: 'safe' }],
      ['verdict review', { verdict: 'review' }],
      ['verdict violation', { verdict: 'violation' }],
      ['confidence min', { confidence: { min: 0.5 } }],
      ['confidence max', { confidence: { max: 0.2 } }],
      ['confidence min = max', { confidence: { min: 0.5, max: 0.5 } }],
      ['text', { text: { contains: 'weapon' } }],
      ['text in reasoning', { text: { contains: 'weapon', in: 'reasoning' } }],
      ['all', { all: [person, { verdict: 'violation' }] }],
      ['any', { any: [person] }],
      ['not', { not: person }],
      ['appears', { appears: { when: person, absentFor: 3 } }],
      ['disappears', { disappears: { when: person, presentFor: 2 } }],
      ['persists', { persists: { when: person, windows: 5 } }],
      ['occurs', { occurs: { when: person, times: 3, withinSeconds: 60 } }],
      [
        'a nested mix',
        {
          all: [
            { any: [person, { action: { action: 'run' } }] },
            { not: { verdict: 'safe' } },
            { persists: { when: { anomaly: { type: 'smoke', minSeverity: 'medium' } }, windows: 2 } },
          ],
        },
      ],
    ])('%s', (_name, condition) => {
      expect(conditionSchema.parse(condition)).toEqual(condition);
    });

    it('trims labels', () => {
      expect(conditionSchema.parse({ object: { label: '  person ' } })).toEqual({
        object: { label: 'person' },
      });
    });
  });

  describe('rejects', () => {
    it.each<[string, unknown]>([
      ['an unknown predicate', { colour: 'red' }],
      ['an unknown key beside a predicate', { object: { label: 'person' }, extra: true }],
      ['an unknown key inside a predicate', { object: { label: 'person', colour: 'red' } }],
      ['two predicates in one node', { object: { label: 'person' }, verdict: 'safe' }],
      ['an unknown key inside a temporal form', { persists: { when: person, windows: 2, extra: 1 } }],
      ['empty all', { all: [] }],
      ['empty any', { any: [] }],
      ['more than 20 children', { all: Array.from({ length: 21 }, () => person) }],
      ['confidence with min > max', { confidence: { min: 0.8, max: 0.2 } }],
      ['confidence with neither min nor max', { confidence: {} }],
      ['confidence above 1', { confidence: { min: 1.5 } }],
      ['negative minConfidence', { object: { label: 'person', minConfidence: -0.1 } }],
      ['minCount 0', { object: { label: 'person', minCount: 0 } }],
      ['fractional minCount', { object: { label: 'person', minCount: 1.5 } }],
      ['a blank label', { object: { label: '   ' } }],
      ['an unknown verdict', { verdict: 'maybe' }],
      ['an unknown severity', { anomaly: { type: 'fire', minSeverity: 'extreme' } }],
      ['an unknown text field', { text: { contains: 'x', in: 'title' } }],
      ['empty text', { text: { contains: '' } }],
      ['absentFor 0', { appears: { when: person, absentFor: 0 } }],
      ['windows above 100', { persists: { when: person, windows: 101 } }],
      ['withinSeconds above a day', { occurs: { when: person, times: 2, withinSeconds: 86_401 } }],
      ['a temporal form without when', { persists: { windows: 2 } }],
      ['an invalid child', { all: [person, { verdict: 'maybe' }] }],
      ['an unknown event type', { event: { type: 'teleport' } }],
      ['an event without a type', { event: { zone: 'Lawn' } }],
      ['an unknown key in an event', { event: { type: 'run', colour: 'red' } }],
      ['an unknown direction', { event: { type: 'cross', zone: 'Gate', direction: 'up' } }],
      ['a negative minSeconds', { event: { type: 'dwell', zone: 'Gate', minSeconds: -1 } }],
      ['an event minCount of 0', { event: { type: 'crowd', zone: 'Gate', minCount: 0 } }],
      ['an empty track', { track: {} }],
      ['a negative minSpeed', { track: { minSpeed: -1 } }],
      ['an unknown key in a track', { track: { label: 'person', id: 3 } }],
      ['null', null],
      ['a string', 'person'],
      ['an array', [person]],
    ])('%s', (_name, value) => {
      expect(conditionSchema.safeParse(value).success).toBe(false);
    });

    it('reports the confidence range problems at the confidence node', () => {
      const minAboveMax = conditionSchema.safeParse({ confidence: { min: 0.8, max: 0.2 } });
      const neither = conditionSchema.safeParse({ confidence: {} });
      expect(minAboveMax.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
        ['confidence', 'min must not exceed max'],
      ]);
      expect(neither.error?.issues.map((issue) => issue.message)).toContain('needs min or max');
    });

    it.each<[string, unknown, string, RegExp]>([
      ['enter without a zone', { event: { type: 'enter' } }, 'event.zone', /required for "enter"/],
      ['crowd-end without a zone', { event: { type: 'crowd-end' } }, 'event.zone', /required/],
      [
        'a direction on enter',
        { event: { type: 'enter', zone: 'Lawn', direction: 'to-left' } },
        'event.direction',
        /only to "cross" and "wrong-way"/,
      ],
      [
        'minSeconds on run',
        { event: { type: 'run', minSeconds: 3 } },
        'event.minSeconds',
        /only to "dwell" and "left-behind"/,
      ],
      ['an empty track', { track: {} }, 'track', /needs at least one of/],
    ])('refuses %s at its field', (_name, value, path, message) => {
      const parsed = conditionSchema.safeParse(value);
      expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual([path]);
      expect(parsed.error!.issues[0]!.message).toMatch(message);
    });

    it('names the path of a nested event or track problem', () => {
      expect(issuePaths({ all: [person, { event: { type: 'leave' } }] })).toEqual(['all.1.event.zone']);
      expect(issuePaths({ not: { persists: { when: { track: { minSpeed: -2 } }, windows: 2 } } })).toEqual([
        'not.persists.when.track.minSpeed',
      ]);
    });

    it('names the path of the offending node', () => {
      expect(issuePaths({ all: [person, { object: { label: 'person', minConfidence: 2 } }] })).toEqual([
        'all.1.object.minConfidence',
      ]);
      expect(issuePaths({ not: { persists: { when: person, windows: 0 } } })).toEqual([
        'not.persists.windows',
      ]);
    });
  });
});

describe('labelsInCondition', () => {
  it('finds object, event and track labels at any depth, temporal forms included, with their paths', () => {
    expect(
      labelsInCondition({
        all: [
          { object: { label: 'person' } },
          { any: [{ event: { type: 'run', label: 'dog' } }, { event: { type: 'enter', zone: 'Lawn' } }] },
          { not: { track: { label: 'bicycle', minSpeed: 2 } } },
          { appears: { when: { object: { label: 'car' } }, absentFor: 1 } },
          { disappears: { when: { object: { label: 'bus' } }, presentFor: 1 } },
          { persists: { when: { track: { zone: 'Lawn', minDwellSeconds: 5 } }, windows: 2 } },
          { occurs: { when: { event: { type: 'fall', label: 'person' } }, times: 2, withinSeconds: 60 } },
          { action: { action: 'climbing', actor: 'person' } },
          { verdict: 'review' },
        ],
      }),
    ).toEqual([
      { path: 'all.0.object.label', label: 'person' },
      { path: 'all.1.any.0.event.label', label: 'dog' },
      { path: 'all.2.not.track.label', label: 'bicycle' },
      { path: 'all.3.appears.when.object.label', label: 'car' },
      { path: 'all.4.disappears.when.object.label', label: 'bus' },
      { path: 'all.6.occurs.when.event.label', label: 'person' },
    ]);
    expect(labelsInCondition({ object: { label: 'knife' } })).toEqual([
      { path: 'object.label', label: 'knife' },
    ]);
    expect(labelsInCondition({ not: { object: { label: 'knife' } } }, 'input.condition')).toEqual([
      { path: 'input.condition.not.object.label', label: 'knife' },
    ]);
  });
});

describe('conditionShapeProblems', () => {
  it('has no problems for a small condition', () => {
    expect(conditionShapeProblems(person)).toEqual([]);
    expect(conditionShapeProblems({ all: [person, { not: person }] })).toEqual([]);
  });

  it(`allows exactly ${MAX_CONDITION_DEPTH} levels and refuses one more`, () => {
    expect(MAX_CONDITION_DEPTH).toBe(8);
    expect(conditionShapeProblems(chain(8))).toEqual([]);
    expect(conditionShapeProblems(chain(9))).toEqual(['nests 9 levels; at most 8']);
  });

  it('counts temporal forms as levels', () => {
    let node: Condition = person;
    for (let level = 1; level < 9; level += 1) node = { persists: { when: node, windows: 2 } };
    expect(conditionShapeProblems(node)).toEqual(['nests 9 levels; at most 8']);
    node = person;
    for (let level = 1; level < 9; level += 1) {
      node =
        level % 4 === 0
          ? { appears: { when: node, absentFor: 1 } }
          : level % 4 === 1
            ? { disappears: { when: node, presentFor: 1 } }
            : level % 4 === 2
              ? { occurs: { when: node, times: 1, withinSeconds: 1 } }
              : { any: [node] };
    }
    expect(conditionShapeProblems(node)).toEqual(['nests 9 levels; at most 8']);
  });

  it(`allows ${MAX_CONDITION_NODES} nodes and refuses 65`, () => {
    expect(MAX_CONDITION_NODES).toBe(64);
    // all: [all: [20 leaves], all: [20 leaves], all: [20 leaves]] = 1 + 3 + 60 = 64 nodes
    const twenty = (): Condition => ({ all: Array.from({ length: 20 }, () => person) });
    const sixtyFour: Condition = { all: [twenty(), twenty(), twenty()] };
    expect(conditionShapeProblems(sixtyFour)).toEqual([]);
    const sixtyFive: Condition = { all: [twenty(), twenty(), twenty(), person] };
    expect(conditionShapeProblems(sixtyFive)).toEqual(['has 65 nodes; at most 64']);
  });

  it('reports depth and size together', () => {
    const twenty = (): Condition => ({ all: Array.from({ length: 20 }, () => person) });
    const problems = conditionShapeProblems({ all: [twenty(), twenty(), twenty(), chain(9)] });
    expect(problems).toEqual(['nests 10 levels; at most 8', 'has 73 nodes; at most 64']);
  });
});

describe('actionSchema', () => {
  it('fills in the review defaults', () => {
    expect(actionSchema.parse({ type: 'review' })).toEqual({
      type: 'review',
      queue: 'default',
      priority: 50,
    });
  });

  it('keeps given review values, trimming the queue', () => {
    expect(actionSchema.parse({ type: 'review', queue: ' urgent ', priority: 90 })).toEqual({
      type: 'review',
      queue: 'urgent',
      priority: 90,
    });
  });

  it('fills in the alert and webhook defaults', () => {
    expect(actionSchema.parse({ type: 'alert' })).toEqual({ type: 'alert', severity: 'high' });
    expect(actionSchema.parse({ type: 'webhook' })).toEqual({ type: 'webhook', event: 'rule.fired' });
  });

  it('lets a webhook action name only events endpoints can filter on', () => {
    expect(actionSchema.parse({ type: 'webhook', event: 'alert.raised' })).toEqual({
      type: 'webhook',
      event: 'alert.raised',
    });
    const refused = actionSchema.safeParse({ type: 'webhook', event: 'my.own.event' });
    expect(refused.success).toBe(false);
    expect(refused.error!.issues[0]!.path).toEqual(['event']);
  });

  it('accepts autoDismiss with a threshold and requires it', () => {
    expect(actionSchema.parse({ type: 'autoDismiss', belowConfidence: 0.3 })).toEqual({
      type: 'autoDismiss',
      belowConfidence: 0.3,
    });
    expect(actionSchema.safeParse({ type: 'autoDismiss' }).success).toBe(false);
    expect(actionSchema.safeParse({ type: 'autoDismiss', belowConfidence: 2 }).success).toBe(false);
  });

  it.each<[string, unknown]>([
    ['an unknown type', { type: 'email' }],
    ['no type', { queue: 'default' }],
    ['an extra key on review', { type: 'review', queue: 'q', extra: 1 }],
    ['a key of another action type', { type: 'alert', queue: 'q' }],
    ['priority above 100', { type: 'review', priority: 101 }],
    ['a fractional priority', { type: 'review', priority: 5.5 }],
    ['a blank queue', { type: 'review', queue: '  ' }],
    ['an unknown severity', { type: 'alert', severity: 'extreme' }],
  ])('rejects %s', (_name, value) => {
    expect(actionSchema.safeParse(value).success).toBe(false);
  });
});
