import { COCO_LABELS, isCocoLabel } from './coco-labels';
import { COCO_LABELS as DETECTOR_LABELS } from './local-detector';

describe('COCO_LABELS', () => {
  it('is the local detector’s list, in its class-index order', () => {
    expect(COCO_LABELS).toEqual(DETECTOR_LABELS);
  });

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
