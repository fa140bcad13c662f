import type { FieldProblem } from '../errors/domain-error';

/**
 * The 80 COCO object classes the local detector reports, in CenterNet's class-index order. Kept
 * apart from the detector so that API code can check template gates and scene labels without
 * importing the detector module.
 */
export const COCO_LABELS: readonly string[] = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
  'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
  'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag',
  'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat',
  'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle', 'wine glass', 'cup', 'fork',
  'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog',
  'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv',
  'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
  'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
]; // prettier-ignore

const KNOWN = new Set(COCO_LABELS);

export function isCocoLabel(label: string): boolean {
  return KNOWN.has(label);
}

// Everyday words for COCO classes, so that a natural guess gets a useful hint.
const LABEL_SYNONYMS: Record<string, string[]> = {
  people: ['person'],
  man: ['person'],
  woman: ['person'],
  child: ['person'],
  human: ['person'],
  pedestrian: ['person'],
  bike: ['bicycle', 'motorcycle'],
  motorbike: ['motorcycle'],
  vehicle: ['car', 'truck', 'bus'],
  sofa: ['couch'],
  phone: ['cell phone'],
  television: ['tv'],
  plane: ['airplane'],
  bag: ['backpack', 'handbag', 'suitcase'],
  table: ['dining table'],
  plant: ['potted plant'],
};

/** A few labels worth suggesting for a misspelt one: synonyms and similar ones, else common ones. */
export function suggestCocoLabels(label: string): string[] {
  const wanted = label.trim().toLowerCase();
  const similar = COCO_LABELS.map((known) => ({
    known,
    distance:
      wanted.length >= 3 && (known.includes(wanted) || wanted.includes(known))
        ? 0
        : editDistance(known, wanted),
  }))
    .filter((candidate) => candidate.distance <= 2)
    .sort((a, b) => a.distance - b.distance)
    .map((candidate) => candidate.known);
  const suggested = [...new Set([...(LABEL_SYNONYMS[wanted] ?? []), ...similar])];
  return (suggested.length ? suggested : ['person', 'car', 'truck', 'dog', 'backpack']).slice(0, 5);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Why a label is refused, with a few real ones it may have meant. */
export function unknownLabelMessage(label: string): string {
  return `"${label.slice(0, 40)}" is not a label the local detector knows (COCO-80); for example: ${suggestCocoLabels(label).join(', ')}`;
}

/**
 * The problems with the labels a zone or line applies to, each named by its path (`<path>.<index>`).
 * Every label must be one the analyser can detect. The one check of scene labels, so that labels a
 * tenant defines for itself can later be accepted here alone.
 */
export function checkLabels(labels: readonly string[], path: string): FieldProblem[] {
  return labels.flatMap((label, index) =>
    isCocoLabel(label) ? [] : [{ field: `${path}.${index}`, message: unknownLabelMessage(label) }],
  );
}
