/**
 * What the local detector's per-frame detections mean for a window: the analysis result in the
 * shape of docs/result-shape.md (it validates against DEFAULT_RESULT_SCHEMA), and the gate decision
 * "is this window worth a GPU?". Pure functions over FrameDetection values: no TensorFlow.js here,
 * so rules, tests and the worker's bookkeeping do not load the models.
 *
 * The local models see objects and NSFW content, nothing else: actions, the causal chain and the
 * root cause stay empty, and the only anomalies are NSFW classes above the threshold.
 */
import type { FrameDetection, NsfwClass } from './frame-detector';

export type Severity = 'low' | 'medium' | 'high' | 'critical';
export type Verdict = 'safe' | 'review' | 'violation';

export interface LocalObjectBox {
  /** Index of the frame in the window. */
  frame: number;
  x: number;
  y: number;
  width: number;
  height: number;
  confidence: number;
  /** The tracker's id of the object this box belongs to, stable across frames and windows. */
  track?: number;
}

export interface LocalObjectFinding {
  label: string;
  /** The most instances seen in one frame. */
  count: number;
  /** The best score of any instance in any frame. */
  confidence: number;
  /** Indices of the frames it was seen in, ascending. */
  frames: number[];
  boxes: LocalObjectBox[];
}

export interface LocalAnomaly {
  type: string;
  severity: Severity;
  description: string;
  /** ISO capture times of the frames showing it. */
  evidence: string[];
}

export interface LocalAnalysisResult {
  timestamp: string;
  objects: LocalObjectFinding[];
  actions: { actor: string; action: string; target: string; start: string; end: string }[];
  anomalies: LocalAnomaly[];
  causalChain: { cause: string; effect: string; at: string }[];
  rootCause: string;
  verdict: Verdict;
  confidence: number;
}

/** The NSFW classifier's classes that are findings; Drawing and Neutral are not. */
export const UNSAFE_NSFW_CLASSES: readonly NsfwClass[] = ['Porn', 'Hentai', 'Sexy'];

/** Porn or Hentai at or above this probability is critical rather than high. */
export const CRITICAL_NSFW_PROBABILITY = 0.9;

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export interface LocalResultOptions {
  /** An unsafe class whose probability exceeds this in a frame is an anomaly (config LOCAL_NSFW_THRESHOLD). */
  nsfwThreshold: number;
}

function severityOf(className: NsfwClass, probability: number): Severity {
  if (className === 'Sexy') return 'medium';
  return probability >= CRITICAL_NSFW_PROBABILITY ? 'critical' : 'high';
}

function probabilityOf(detection: FrameDetection, className: NsfwClass): number {
  return detection.nsfw.find((p) => p.className === className)?.probability ?? 0;
}

/** Coordinates and scores in a stored result: four decimals (a tenth of a pixel at 448 px), within 0..1. */
function round(value: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * 10_000) / 10_000;
}

/**
 * The analysis result of one window from its frames' detections (frames[i] is the frame detections[i]
 * was made on, in capture order).
 *
 * - objects: one entry per label, its count the most instances in one frame, its confidence the best
 *   score, with every box; ordered by confidence, best first.
 * - anomalies: one per unsafe NSFW class (Porn, Hentai, Sexy) whose probability exceeds the
 *   threshold in at least one frame, with those frames' capture times as evidence. Severity: Sexy
 *   medium; Porn and Hentai high, critical from CRITICAL_NSFW_PROBABILITY.
 * - verdict: violation with a high or critical anomaly, review with any other, else safe.
 * - confidence: how sure the verdict is, by the classifier's own probabilities: for violation the
 *   highest probability among the high/critical anomalies, for review among all of them; for safe
 *   the least safe frame's 1 - (its highest unsafe probability).
 * - timestamp: the frame of the strongest finding (the most severe anomaly at its most probable
 *   frame; without anomalies, the frame of the best-scored object), else the last frame.
 */
export function buildLocalResult(
  frames: readonly { capturedAt: Date }[],
  detections: readonly FrameDetection[],
  options: LocalResultOptions,
): LocalAnalysisResult {
  if (frames.length === 0) throw new RangeError('a window needs at least one frame');
  if (frames.length !== detections.length) {
    throw new RangeError(`${frames.length} frames but ${detections.length} detections`);
  }
  const iso = (index: number): string => frames[index]!.capturedAt.toISOString();

  const byLabel = new Map<string, LocalObjectFinding>();
  let bestObject: { frame: number; confidence: number } | null = null;
  for (const [frame, detection] of detections.entries()) {
    const perFrame = new Map<string, number>();
    for (const object of detection.objects) {
      let finding = byLabel.get(object.label);
      if (!finding) {
        finding = { label: object.label, count: 0, confidence: 0, frames: [], boxes: [] };
        byLabel.set(object.label, finding);
      }
      const inFrame = (perFrame.get(object.label) ?? 0) + 1;
      perFrame.set(object.label, inFrame);
      finding.count = Math.max(finding.count, inFrame);
      finding.confidence = Math.max(finding.confidence, round(object.confidence));
      if (finding.frames.at(-1) !== frame) finding.frames.push(frame);
      finding.boxes.push({
        frame,
        x: round(object.box.x),
        y: round(object.box.y),
        width: round(object.box.width),
        height: round(object.box.height),
        confidence: round(object.confidence),
        ...('trackId' in object && typeof object.trackId === 'number' ? { track: object.trackId } : {}),
      });
      if (!bestObject || object.confidence > bestObject.confidence) {
        bestObject = { frame, confidence: object.confidence };
      }
    }
  }
  const objects = [...byLabel.values()].sort(
    (a, b) => b.confidence - a.confidence || a.label.localeCompare(b.label),
  );

  const anomalies: (LocalAnomaly & { peak: number; peakFrame: number })[] = [];
  for (const className of UNSAFE_NSFW_CLASSES) {
    const hits: number[] = [];
    let peak = 0;
    let peakFrame = 0;
    for (const [frame, detection] of detections.entries()) {
      const probability = probabilityOf(detection, className);
      if (probability > options.nsfwThreshold) {
        hits.push(frame);
        if (probability > peak) {
          peak = probability;
          peakFrame = frame;
        }
      }
    }
    if (hits.length === 0) continue;
    anomalies.push({
      type: `nsfw-${className.toLowerCase()}`,
      severity: severityOf(className, peak),
      description:
        `NSFW classifier: ${className} in ${hits.length} of ${frames.length} frames ` +
        `(highest probability ${peak.toFixed(2)}, threshold ${options.nsfwThreshold})`,
      evidence: hits.map(iso),
      peak,
      peakFrame,
    });
  }
  anomalies.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || b.peak - a.peak);

  const serious = anomalies.filter((a) => SEVERITY_RANK[a.severity] >= SEVERITY_RANK.high);
  let verdict: Verdict;
  let confidence: number;
  if (serious.length > 0) {
    verdict = 'violation';
    confidence = Math.max(...serious.map((a) => a.peak));
  } else if (anomalies.length > 0) {
    verdict = 'review';
    confidence = Math.max(...anomalies.map((a) => a.peak));
  } else {
    verdict = 'safe';
    confidence = Math.min(
      ...detections.map((d) => 1 - Math.max(0, ...UNSAFE_NSFW_CLASSES.map((c) => probabilityOf(d, c)))),
    );
  }

  const strongest = anomalies[0];
  const timestampFrame = strongest ? strongest.peakFrame : (bestObject?.frame ?? frames.length - 1);

  return {
    timestamp: iso(timestampFrame),
    objects,
    actions: [],
    anomalies: anomalies.map(({ type, severity, description, evidence }) => ({
      type,
      severity,
      description,
      evidence,
    })),
    causalChain: [],
    rootCause: '',
    verdict,
    confidence: round(confidence),
  };
}

// --- the gate ------------------------------------------------------------------------------------

/** A template's local gate (PromptTemplate.gateObjects, gateNsfw, gateMinConfidence). */
export interface AnalysisGate {
  /** COCO labels that make a window worth a GPU (compared case-insensitively). */
  objects: string[];
  /** Whether an unsafe NSFW class above the threshold makes a window worth a GPU. */
  nsfw: boolean;
  /** The score an object needs to count. */
  minConfidence: number;
}

export interface GateDecision {
  matched: boolean;
  /** Why, for the record of a gated (or sent) window. */
  reasons: string[];
}

/** True when the gate is off: no labels and no NSFW check, so every window is sent. */
export function gateIsOff(gate: AnalysisGate): boolean {
  return gate.objects.length === 0 && !gate.nsfw;
}

/**
 * Whether a window is worth sending to a GPU: some frame shows one of the gate's labels at
 * minConfidence or more, or (gate.nsfw) an unsafe NSFW class above the threshold. A gate with no
 * labels and no NSFW check matches every window. The reasons name what matched (the best frame per
 * label or class) or, when nothing did, what was looked for.
 */
export function gateMatches(
  gate: AnalysisGate,
  detections: readonly FrameDetection[],
  options: { nsfwThreshold: number },
): GateDecision {
  if (gateIsOff(gate)) return { matched: true, reasons: ['no gate: every window is sent'] };
  const wanted = new Set(gate.objects.map((label) => label.trim().toLowerCase()));
  const reasons: string[] = [];

  const bestByLabel = new Map<string, { confidence: number; frame: number }>();
  for (const [frame, detection] of detections.entries()) {
    for (const object of detection.objects) {
      const label = object.label.toLowerCase();
      if (!wanted.has(label) || object.confidence < gate.minConfidence) continue;
      const best = bestByLabel.get(label);
      if (!best || object.confidence > best.confidence) {
        bestByLabel.set(label, { confidence: object.confidence, frame });
      }
    }
  }
  for (const [label, best] of bestByLabel) {
    reasons.push(`${label} (${best.confidence.toFixed(2)}) in frame ${best.frame}`);
  }

  if (gate.nsfw) {
    for (const className of UNSAFE_NSFW_CLASSES) {
      let best: { probability: number; frame: number } | null = null;
      for (const [frame, detection] of detections.entries()) {
        const probability = probabilityOf(detection, className);
        if (probability > options.nsfwThreshold && (!best || probability > best.probability)) {
          best = { probability, frame };
        }
      }
      if (best) reasons.push(`NSFW ${className} (${best.probability.toFixed(2)}) in frame ${best.frame}`);
    }
  }

  if (reasons.length > 0) return { matched: true, reasons };
  const lookedFor: string[] = [];
  if (wanted.size > 0) {
    lookedFor.push(`none of ${[...wanted].join(', ')} at confidence >= ${gate.minConfidence}`);
  }
  if (gate.nsfw) lookedFor.push(`no NSFW class above ${options.nsfwThreshold}`);
  return { matched: false, reasons: [`${lookedFor.join('; ')} in ${detections.length} frames`] };
}
