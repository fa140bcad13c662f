import { COCO_LABELS } from '../scene/object-labels';
import {
  closestLabels,
  customLabelsSchema,
  labelProblems,
  labelVocabulary,
  loadLabelVocabulary,
  MAX_CUSTOM_LABELS,
  normalizeLabel,
} from './label-vocabulary';

const coco = labelVocabulary();
const withForklift = labelVocabulary(['forklift', 'hard hat']);

describe('labelVocabulary', () => {
  it('holds the 80 COCO labels and the tenant’s own', () => {
    expect(coco.labels.size).toBe(80);
    expect(withForklift.labels.size).toBe(82);
    expect(withForklift.labels.has('forklift')).toBe(true);
    expect(withForklift.custom).toEqual(['forklift', 'hard hat']);
  });

  it('normalises labels: trimmed, lower-case, single spaces', () => {
    expect(normalizeLabel('  Traffic   Light ')).toBe('traffic light');
  });
});

describe('labelProblems', () => {
  it('refuses a typo at its path, suggesting the closest label', () => {
    expect(labelProblems([{ path: 'input.condition.all.0.object.label', label: 'persn' }], coco)).toEqual([
      {
        field: 'input.condition.all.0.object.label',
        message: expect.stringMatching(/^"persn" is not a known label .*; did you mean "person"\?$/),
      },
    ]);
  });

  it('accepts COCO labels in any case and spacing, and a tenant’s own labels', () => {
    const labels = [
      { path: 'a', label: 'Person' },
      { path: 'b', label: ' traffic  light' },
      { path: 'c', label: 'Forklift' },
      { path: 'd', label: 'hard hat' },
    ];
    expect(labelProblems(labels, withForklift)).toEqual([]);
    // Without the custom labels, the tenant's own are refused.
    expect(labelProblems(labels, coco).map((problem) => problem.field)).toEqual(['c', 'd']);
  });

  it('suggests a tenant’s own label for a typo of it', () => {
    const [problem] = labelProblems([{ path: 'x', label: 'forklfit' }], withForklift);
    expect(problem!.message).toMatch(/did you mean "forklift"\?$/);
  });

  it('reports every unknown label, in order', () => {
    const problems = labelProblems(
      [
        { path: 'one', label: 'dgo' },
        { path: 'two', label: 'car' },
        { path: 'three', label: 'zzzzzzzz' },
      ],
      coco,
    );
    expect(problems.map((problem) => problem.field)).toEqual(['one', 'three']);
    expect(problems[0]!.message).toMatch(/did you mean "dog"\?/);
    // Nothing close: a few common labels and how to add one's own.
    expect(problems[1]!.message).toMatch(/for example: person, car, .*custom labels$/);
  });
});

describe('closestLabels', () => {
  it.each([
    ['persn', 'person'],
    ['preson', 'person'],
    ['bike', 'motorcycle'],
    ['people', 'person'],
    ['phone', 'cell phone'],
    ['traffic-light', 'traffic light'],
  ])('suggests %s -> %s', (label, expected) => {
    expect(closestLabels(label, coco)).toContain(expected);
  });

  it('puts the closest first and suggests at most three, all known', () => {
    expect(closestLabels('persn', coco)[0]).toBe('person');
    const suggested = closestLabels('ca', coco);
    expect(suggested.length).toBeLessThanOrEqual(3);
    for (const label of suggested) expect(COCO_LABELS).toContain(label);
    expect(closestLabels('zzzzzzzz', coco)).toEqual([]);
  });
});

describe('customLabelsSchema', () => {
  it('stores labels trimmed and lower-case', () => {
    expect(customLabelsSchema.parse([' Forklift ', 'Hard  Hat', 'pallet'])).toEqual([
      'forklift',
      'hard hat',
      'pallet',
    ]);
    expect(customLabelsSchema.parse([])).toEqual([]);
  });

  it.each<[string, unknown[], string[], RegExp]>([
    ['an empty label', ['forklift', '   '], ['1'], /must not be empty/],
    ['a label over 60 characters', ['x'.repeat(61)], ['0'], /at most 60 characters/],
    ['a duplicate after normalising', ['forklift', 'FORKLIFT '], ['1'], /listed twice/],
    ['a COCO label', ['Person'], ['0'], /COCO label already/],
    ['a control character', ['fork\u0001lift'], ['0'], /control characters/],
    ['a non-string', [3], ['0'], /string/],
  ])('refuses %s at its index', (_name, labels, paths, message) => {
    const parsed = customLabelsSchema.safeParse(labels);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(paths);
    expect(parsed.error!.issues[0]!.message).toMatch(message);
  });

  it(`accepts ${MAX_CUSTOM_LABELS} labels and refuses one more`, () => {
    const labels = Array.from({ length: MAX_CUSTOM_LABELS + 1 }, (_, index) => `label ${index}`);
    expect(customLabelsSchema.safeParse(labels.slice(0, MAX_CUSTOM_LABELS)).success).toBe(true);
    expect(customLabelsSchema.safeParse(labels).success).toBe(false);
  });
});

describe('loadLabelVocabulary', () => {
  it('reads the tenant’s custom labels, and none for a tenant that is gone', async () => {
    const tenants: Record<string, { customLabels: string[] }> = { t1: { customLabels: ['forklift'] } };
    const prisma = {
      tenant: {
        findUnique: ({ where }: { where: { id: string } }) => Promise.resolve(tenants[where.id] ?? null),
      },
    } as unknown as Parameters<typeof loadLabelVocabulary>[0];
    expect((await loadLabelVocabulary(prisma, 't1')).labels.has('forklift')).toBe(true);
    expect((await loadLabelVocabulary(prisma, 't2')).labels.size).toBe(80);
  });
});
