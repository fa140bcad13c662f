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

/** Labels worth showing when nothing known is close to a misspelt one. */
export const COMMON_LABELS = ['person', 'car', 'truck', 'dog', 'backpack'];

/** How labels are compared and stored: trimmed, lower-case, inner runs of spaces made one. */
export function normalizeLabel(label: string): string {
  return label.trim().toLowerCase().replace(/\s+/g, ' ');
}

/**
 * Known labels close to `label` (at most three): synonyms, then labels within a small edit distance
 * or containing it, fewest edits first. Empty when nothing is close. The one suggestion of labels,
 * for the detector's COCO-80 alone and for a tenant's whole vocabulary.
 */
export function closestLabels(label: string, known: ReadonlySet<string>): string[] {
  const wanted = normalizeLabel(label);
  // Short words tolerate one slip, longer ones two: "cow" must not suggest "car" and "cup" alike.
  const tolerance = wanted.length <= 3 ? 1 : 2;
  const similar = [...known]
    .map((candidate) => ({
      candidate,
      distance: editDistance(candidate, wanted),
      // A word of a longer label ("phone" of "cell phone"), not any label inside a longer word.
      contains: wanted.length >= 3 && candidate.includes(wanted),
    }))
    .filter((entry) => entry.distance <= tolerance || entry.contains)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .map((entry) => entry.candidate);
  const synonyms = (LABEL_SYNONYMS[wanted] ?? []).filter((candidate) => known.has(candidate));
  return [...new Set([...synonyms, ...similar])].slice(0, 3);
}

/** A few COCO labels worth suggesting for a misspelt one: the closest, else common ones. */
export function suggestCocoLabels(label: string): string[] {
  const close = closestLabels(label, KNOWN);
  return close.length ? close : COMMON_LABELS;
}

/** Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, index) => index)];
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      row[j] = Math.min(
        rows[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
      }
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
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
