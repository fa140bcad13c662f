import Ajv from 'ajv';

/**
 * The core of every template's result schema (docs/result-shape.md). Templates may add
 * fields; these four are always there, because rules and the console depend on them.
 */
export const CORE_RESULT_FIELDS = ['timestamp', 'objects', 'actions', 'anomalies'] as const;

/** What a tracked object did (`events[].type`): in a zone, across a line, or anywhere. */
export const RESULT_EVENT_TYPES = [
  'enter',
  'leave',
  'dwell',
  'cross',
  'wrong-way',
  'crowd',
  'crowd-end',
  'run',
  'fall',
  'left-behind',
] as const;

export type ResultEventType = (typeof RESULT_EVENT_TYPES)[number];

/** Event types that always happen in a named zone or on a named line (`events[].zone` is set). */
export const ZONE_EVENT_TYPES: readonly ResultEventType[] = [
  'enter',
  'leave',
  'dwell',
  'cross',
  'wrong-way',
  'crowd',
  'crowd-end',
];

/** The sides a line can be crossed towards, looking along the line from its start to its end. */
export const CROSS_DIRECTIONS = ['to-left', 'to-right'] as const;

export const DEFAULT_RESULT_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: [
    'timestamp',
    'objects',
    'actions',
    'anomalies',
    'causalChain',
    'rootCause',
    'verdict',
    'confidence',
  ],
  properties: {
    timestamp: { type: 'string', description: 'ISO-8601 time of the most relevant frame' },
    objects: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['label', 'count', 'confidence', 'frames'],
        properties: {
          label: { type: 'string' },
          count: { type: 'integer', minimum: 0 },
          confidence: { type: 'number', minimum: 0, maximum: 1 },
          frames: { type: 'array', items: { type: 'integer', minimum: 0 } },
          // Optional: where the object is, per frame, as fractions of the frame (0..1), so the
          // console can draw it. The local detector always fills it; a VLM may.
          boxes: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['frame', 'x', 'y', 'width', 'height', 'confidence'],
              properties: {
                frame: { type: 'integer', minimum: 0 },
                x: { type: 'number', minimum: 0, maximum: 1 },
                y: { type: 'number', minimum: 0, maximum: 1 },
                width: { type: 'number', minimum: 0, maximum: 1 },
                height: { type: 'number', minimum: 0, maximum: 1 },
                confidence: { type: 'number', minimum: 0, maximum: 1 },
                track: { type: 'integer', minimum: 1 },
              },
            },
          },
        },
      },
    },
    actions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['actor', 'action', 'target', 'start', 'end'],
        properties: {
          actor: { type: 'string' },
          action: { type: 'string' },
          target: { type: 'string' },
          start: { type: 'string' },
          end: { type: 'string' },
        },
      },
    },
    anomalies: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'severity', 'description', 'evidence'],
        properties: {
          type: { type: 'string' },
          severity: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
          description: { type: 'string' },
          evidence: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    causalChain: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['cause', 'effect', 'at'],
        properties: { cause: { type: 'string' }, effect: { type: 'string' }, at: { type: 'string' } },
      },
    },
    rootCause: { type: 'string' },
    // Optional: what tracked objects did (the local analyser's tracker and zones fill it). Each
    // event is reported once, in the window in which it was first observed.
    events: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'type', 'label', 'trackIds', 'start', 'end', 'severity', 'evidence'],
        properties: {
          id: { type: 'string' },
          type: { type: 'string', enum: RESULT_EVENT_TYPES },
          label: { type: 'string' },
          trackIds: { type: 'array', items: { type: 'integer', minimum: 0 } },
          zone: { type: 'string' },
          direction: { type: 'string', enum: CROSS_DIRECTIONS },
          start: { type: 'string' },
          end: { type: 'string' },
          seconds: { type: 'number', minimum: 0 },
          speed: { type: 'number', minimum: 0 },
          count: { type: 'integer', minimum: 0 },
          severity: { type: 'string', enum: ['low', 'medium', 'high', 'critical'] },
          evidence: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    // Optional: the tracks seen in the window, with what they did so far.
    tracks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'label', 'firstSeen', 'lastSeen', 'zones', 'maxSpeed', 'dwellSeconds'],
        properties: {
          id: { type: 'integer', minimum: 0 },
          label: { type: 'string' },
          firstSeen: { type: 'string' },
          lastSeen: { type: 'string' },
          zones: { type: 'array', items: { type: 'string' } },
          maxSpeed: { type: 'number', minimum: 0 },
          dwellSeconds: { type: 'object', additionalProperties: { type: 'number', minimum: 0 } },
        },
      },
    },
    verdict: { type: 'string', enum: ['safe', 'review', 'violation'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    // Optional: the local analyser's plain-language account of how it reached its findings.
    trace: { type: 'array', items: { type: 'string' } },
    // Optional: the version of the stream's zones and lines the local analyser used.
    sceneVersion: { type: 'integer', minimum: 0 },
  },
} as const;

export interface SchemaProblem {
  /** Dotted path inside the schema ('' for the schema as a whole). */
  path: string;
  message: string;
}

/** How large a result schema may be: it is compiled to code, once per template version. */
export const RESULT_SCHEMA_LIMITS = {
  /** Objects and arrays anywhere in the schema. */
  maxNodes: 4_000,
  /** Nesting of objects and arrays. */
  maxDepth: 24,
  /** Characters of one `pattern` (a regular expression run on every result). */
  maxPatternLength: 200,
} as const;

/**
 * Problems found without compiling the schema: its size and shape, and the core result fields.
 * Cheap (one walk), so it runs on the request path; compiling is left to compileProblems, off it.
 */
export function resultSchemaShapeProblems(schema: unknown): SchemaProblem[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return [{ path: '', message: 'must be a JSON Schema object' }];
  }
  const size = measure(schema);
  if (size.nodes > RESULT_SCHEMA_LIMITS.maxNodes)
    return [{ path: '', message: `has more than ${RESULT_SCHEMA_LIMITS.maxNodes} objects and arrays` }];
  if (size.depth > RESULT_SCHEMA_LIMITS.maxDepth)
    return [{ path: '', message: `nests deeper than ${RESULT_SCHEMA_LIMITS.maxDepth} levels` }];
  if (size.longPattern !== null)
    return [
      {
        path: size.longPattern,
        message: `is a pattern longer than ${RESULT_SCHEMA_LIMITS.maxPatternLength} characters`,
      },
    ];
  const problems: SchemaProblem[] = [];
  const root = schema as { type?: unknown; properties?: Record<string, unknown>; required?: unknown };
  if (root.type !== 'object') problems.push({ path: 'type', message: 'must be "object"' });
  const required = Array.isArray(root.required) ? root.required : [];
  for (const field of CORE_RESULT_FIELDS) {
    if (!root.properties || typeof root.properties[field] !== 'object') {
      problems.push({ path: `properties.${field}`, message: 'is a core result field and must be defined' });
    }
    if (!required.includes(field)) {
      problems.push({ path: 'required', message: `must include the core field "${field}"` });
    }
  }
  return problems;
}

/** The problem of compiling the schema (Ajv), if any. Takes long for large schemas: run off the event loop. */
export function compileProblems(schema: object): SchemaProblem[] {
  try {
    // A fresh Ajv per check: a shared one remembers every schema by its $id, so one tenant's
    // schema could block another's and memory would grow for the life of the process.
    new Ajv({ strict: false, allErrors: true }).compile(schema);
    return [];
  } catch (error) {
    return [{ path: '', message: `is not a valid JSON Schema: ${(error as Error).message}` }];
  }
}

function measure(schema: object): { nodes: number; depth: number; longPattern: string | null } {
  let nodes = 0;
  let depth = 0;
  let longPattern: string | null = null;
  const stack: { value: unknown; level: number; path: string }[] = [{ value: schema, level: 1, path: '' }];
  while (stack.length > 0) {
    const { value, level, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    nodes += 1;
    depth = Math.max(depth, level);
    if (nodes > RESULT_SCHEMA_LIMITS.maxNodes || depth > RESULT_SCHEMA_LIMITS.maxDepth) break;
    for (const [key, child] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (
        key === 'pattern' &&
        typeof child === 'string' &&
        child.length > RESULT_SCHEMA_LIMITS.maxPatternLength
      )
        longPattern ??= at;
      stack.push({ value: child, level: level + 1, path: at });
    }
  }
  return { nodes, depth, longPattern };
}
