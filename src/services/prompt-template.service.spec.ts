import { COCO_LABELS } from '../inference/local/coco-labels';
import { suggestCocoLabels } from './prompt-template.service';

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
