import { checkLabels, COCO_LABELS, isCocoLabel, suggestCocoLabels } from './object-labels';

describe('COCO_LABELS', () => {
  it('has the 80 distinct COCO classes', () => {
    expect(COCO_LABELS).toHaveLength(80);
    expect(new Set(COCO_LABELS).size).toBe(80);
    expect(COCO_LABELS[0]).toBe('person');
    expect(COCO_LABELS.at(-1)).toBe('toothbrush');
  });

  it('recognises labels exactly (case and spacing matter)', () => {
    expect(isCocoLabel('traffic light')).toBe(true);
    expect(isCocoLabel('Person')).toBe(false);
    expect(isCocoLabel('traffic_light')).toBe(false);
    expect(isCocoLabel('')).toBe(false);
  });
});

describe('suggestCocoLabels', () => {
  it.each([
    ['persn', 'person'],
    ['Person', 'person'],
    ['bike', 'motorcycle'],
    ['phone', 'cell phone'],
    ['traffic-light', 'traffic light'],
  ])('suggests labels like %s -> %s', (label, expected) => {
    expect(suggestCocoLabels(label)).toContain(expected);
  });

  it('suggests common real labels when nothing is similar, at most five', () => {
    const suggested = suggestCocoLabels('zzzzzzzzzz');
    expect(suggested.length).toBeGreaterThan(1);
    expect(suggested.length).toBeLessThanOrEqual(5);
    for (const label of suggested) expect(COCO_LABELS).toContain(label);
  });
});

describe('checkLabels', () => {
  it('accepts detector labels and names each unknown one by its index under the path', () => {
    expect(checkLabels(['person', 'bicycle'], 'zones.0.labels')).toEqual([]);
    const problems = checkLabels(['person', 'people', 'dog', 'Dog'], 'lines.2.labels');
    expect(problems.map((problem) => problem.field)).toEqual(['lines.2.labels.1', 'lines.2.labels.3']);
    expect(problems[0]!.message).toMatch(/"people" is not a label .*for example: person/);
  });
});
