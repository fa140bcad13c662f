import Ajv from 'ajv';
import {
  compileProblems,
  CORE_RESULT_FIELDS,
  DEFAULT_RESULT_SCHEMA,
  RESULT_SCHEMA_LIMITS,
  resultSchemaShapeProblems,
  type SchemaProblem,
} from './result-schema';

/** Both checks in the order the compiler runs them: the shape, then (if sound) compiling. */
function resultSchemaProblems(schema: unknown): SchemaProblem[] {
  const shape = resultSchemaShapeProblems(schema);
  return shape.length > 0 ? shape : compileProblems(schema as object);
}

type Schema = { type: string; required: string[]; properties: Record<string, unknown> };

/** A mutable deep copy of the default schema. */
function defaultSchema(): Schema {
  return structuredClone(DEFAULT_RESULT_SCHEMA) as unknown as Schema;
}

describe('resultSchemaProblems', () => {
  it('finds nothing wrong with the default schema', () => {
    expect(resultSchemaProblems(DEFAULT_RESULT_SCHEMA)).toEqual([]);
    expect(resultSchemaProblems(defaultSchema())).toEqual([]);
  });

  it('accepts a minimal schema with the core fields and extra fields', () => {
    expect(
      resultSchemaProblems({
        type: 'object',
        required: [...CORE_RESULT_FIELDS, 'crowdDensity'],
        properties: {
          timestamp: { type: 'string' },
          objects: { type: 'array' },
          actions: { type: 'array' },
          anomalies: { type: 'array' },
          crowdDensity: { type: 'number' },
        },
      }),
    ).toEqual([]);
  });

  it.each(CORE_RESULT_FIELDS)('reports the core field %s when it is not defined nor required', (field) => {
    const schema = defaultSchema();
    delete schema.properties[field];
    schema.required = schema.required.filter((name) => name !== field);
    expect(resultSchemaProblems(schema)).toEqual([
      { path: `properties.${field}`, message: 'is a core result field and must be defined' },
      { path: 'required', message: `must include the core field "${field}"` },
    ]);
  });

  it('reports a core field that is defined but not required', () => {
    const schema = defaultSchema();
    schema.required = schema.required.filter((name) => name !== 'anomalies');
    expect(resultSchemaProblems(schema)).toEqual([
      { path: 'required', message: 'must include the core field "anomalies"' },
    ]);
  });

  it('reports a core field whose schema is not an object', () => {
    const schema = defaultSchema();
    schema.properties.objects = true;
    expect(resultSchemaProblems(schema)).toEqual([
      { path: 'properties.objects', message: 'is a core result field and must be defined' },
    ]);
  });

  it('reports a schema without properties or required', () => {
    const problems = resultSchemaProblems({ type: 'object' });
    expect(problems).toHaveLength(CORE_RESULT_FIELDS.length * 2);
    for (const field of CORE_RESULT_FIELDS) {
      expect(problems).toContainEqual({
        path: `properties.${field}`,
        message: 'is a core result field and must be defined',
      });
    }
  });

  it('reports a root that is not of type object', () => {
    const schema = defaultSchema();
    schema.type = 'array';
    expect(resultSchemaProblems(schema)).toEqual([{ path: 'type', message: 'must be "object"' }]);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a string', '{"type":"object"}'],
    ['a number', 42],
    ['undefined', undefined],
    ['true', true],
  ])('refuses %s as not a JSON Schema object', (_name, value) => {
    expect(resultSchemaProblems(value)).toEqual([{ path: '', message: 'must be a JSON Schema object' }]);
  });

  // Each broken in one place, with the core fields in place (those are checked first, cheaply).
  const broken = (change: (schema: Schema) => void): Schema => {
    const schema = defaultSchema();
    change(schema);
    return schema;
  };
  it.each([
    ['an unknown type', broken((s) => (s.properties.rootCause = { type: 'nope' }))],
    ['a wrong keyword value', broken((s) => (s.properties.rootCause = { type: 'object', required: 'x' }))],
    [
      'a negative minimum length',
      broken((s) => (s.properties.rootCause = { type: 'string', minLength: -1 })),
    ],
    ['an unresolvable $ref', broken((s) => (s.properties.rootCause = { $ref: '#/definitions/missing' }))],
  ])('reports an invalid JSON Schema (%s) as one problem at the root', (_name, schema) => {
    const problems = resultSchemaProblems(schema);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('');
    expect(problems[0]!.message).toMatch(/^is not a valid JSON Schema: /);
  });

  it('refuses a schema too large to compile cheaply without compiling it', () => {
    const many = defaultSchema();
    for (let n = 0; n < RESULT_SCHEMA_LIMITS.maxNodes; n++) many.properties[`p${n}`] = {};
    expect(resultSchemaShapeProblems(many)).toEqual([
      { path: '', message: `has more than ${RESULT_SCHEMA_LIMITS.maxNodes} objects and arrays` },
    ]);
    let nested: Record<string, unknown> = { type: 'string' };
    for (let n = 0; n < RESULT_SCHEMA_LIMITS.maxDepth; n++) nested = { type: 'array', items: nested };
    const deep = broken((s) => (s.properties.rootCause = nested));
    expect(resultSchemaShapeProblems(deep)).toEqual([
      { path: '', message: `nests deeper than ${RESULT_SCHEMA_LIMITS.maxDepth} levels` },
    ]);
    const pattern = broken((s) => (s.properties.rootCause = { type: 'string', pattern: '(a+)+'.repeat(50) }));
    expect(resultSchemaShapeProblems(pattern)).toEqual([
      {
        path: 'properties.rootCause.pattern',
        message: `is a pattern longer than ${RESULT_SCHEMA_LIMITS.maxPatternLength} characters`,
      },
    ]);
    expect(resultSchemaShapeProblems(defaultSchema())).toEqual([]);
  });

  // A shared Ajv instance would remember schemas by $id and refuse a second one with the same id
  // (a new version, or another tenant's template).
  it('checks two schemas with the same $id independently', () => {
    const withId = (): Schema & { $id: string } => ({
      ...defaultSchema(),
      $id: 'https://vigil.example/result.json',
    });
    expect(resultSchemaProblems(withId())).toEqual([]);
    expect(resultSchemaProblems(withId())).toEqual([]);
  });
});

describe('DEFAULT_RESULT_SCHEMA', () => {
  const validate = new Ajv({ strict: false, allErrors: true }).compile(DEFAULT_RESULT_SCHEMA);
  const base = {
    timestamp: '2026-12-07T13:00:00.000Z',
    objects: [],
    actions: [],
    anomalies: [],
    causalChain: [],
    rootCause: '',
    verdict: 'review',
    confidence: 0.8,
  };
  const enter = {
    id: 'enter:lawn:4:1733577600000',
    type: 'enter',
    label: 'person',
    trackIds: [4],
    zone: 'Lawn',
    start: '2026-12-07T13:00:00.000Z',
    end: '2026-12-07T13:00:00.000Z',
    severity: 'medium',
    evidence: ['2026-12-07T13:00:00.000Z'],
  };
  const track = {
    id: 4,
    label: 'person',
    firstSeen: '2026-12-07T12:59:50.000Z',
    lastSeen: '2026-12-07T13:00:05.000Z',
    zones: ['Lawn'],
    maxSpeed: 0.6,
    dwellSeconds: { Lawn: 5 },
  };

  it('accepts a result without events and tracks, and one with them', () => {
    expect(validate(base)).toBe(true);
    const withEvents = {
      ...base,
      events: [
        enter,
        { ...enter, id: 'cross:gate:4:1', type: 'cross', zone: 'Gate', direction: 'to-left' },
        { ...enter, id: 'crowd:lawn:1', type: 'crowd', trackIds: [1, 2, 3, 4], count: 4 },
        { ...enter, id: 'run:4:1', type: 'run', zone: undefined, speed: 2.4 },
      ].map((event) => JSON.parse(JSON.stringify(event)) as unknown),
      tracks: [track],
    };
    expect(validate(withEvents)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['an unknown event type', { events: [{ ...enter, type: 'teleport' }] }],
    ['an unknown direction', { events: [{ ...enter, type: 'cross', direction: 'upwards' }] }],
    ['an event without trackIds', { events: [{ ...enter, trackIds: undefined }] }],
    ['a negative dwell', { tracks: [{ ...track, dwellSeconds: { Lawn: -1 } }] }],
    ['a track without zones', { tracks: [{ ...track, zones: undefined }] }],
  ])('refuses %s', (_name, parts) => {
    expect(validate(JSON.parse(JSON.stringify({ ...base, ...parts })))).toBe(false);
  });
});
