import Ajv from 'ajv';
import { DEFAULT_RESULT_SCHEMA } from '../../templates/result-schema';
import { buildLocalResult, gateMatches, type AnalysisGate, type LocalAnalysisResult } from './local-result';
import type { DetectedObject, FrameDetection, NsfwClass } from './frame-detector';

const validate = new Ajv({ strict: false, allErrors: true }).compile(DEFAULT_RESULT_SCHEMA);

function expectValid(result: LocalAnalysisResult): void {
  const valid = validate(result);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

const T0 = Date.parse('2026-11-21T14:23:00.000Z');
const frames = (n: number) => Array.from({ length: n }, (_, i) => ({ capturedAt: new Date(T0 + i * 500) }));
const at = (i: number) => new Date(T0 + i * 500).toISOString();

function object(label: string, confidence: number, x = 0.1, y = 0.2): DetectedObject {
  return { label, confidence, box: { x, y, width: 0.1, height: 0.3 } };
}

/** An NSFW distribution: the named classes get their probabilities, Neutral the rest. */
function nsfw(probabilities: Partial<Record<NsfwClass, number>> = {}): FrameDetection['nsfw'] {
  const rest = 1 - Object.values(probabilities).reduce((sum, p) => sum + p, 0);
  const all: Record<NsfwClass, number> = {
    Drawing: 0,
    Hentai: 0,
    Porn: 0,
    Sexy: 0,
    ...probabilities,
    Neutral: rest,
  };
  return Object.entries(all)
    .map(([className, probability]) => ({ className: className as NsfwClass, probability }))
    .sort((a, b) => b.probability - a.probability);
}

function detection(
  objects: DetectedObject[] = [],
  classes: Partial<Record<NsfwClass, number>> = {},
): FrameDetection {
  return { objects, nsfw: nsfw(classes), width: 448, height: 320 };
}

const OPTIONS = { nsfwThreshold: 0.7 };

describe('buildLocalResult', () => {
  it('summarises objects per label: max count per frame, max confidence, frames and every box', () => {
    const result = buildLocalResult(
      frames(3),
      [
        detection([object('person', 0.6), object('person', 0.8, 0.5)]),
        detection([object('car', 0.95)]),
        detection([object('person', 0.7), object('person', 0.4), object('person', 0.5)]),
      ],
      OPTIONS,
    );
    expect(result.objects.map((o) => o.label)).toEqual(['car', 'person']); // best confidence first
    const person = result.objects.find((o) => o.label === 'person')!;
    expect(person.count).toBe(3);
    expect(person.confidence).toBe(0.8);
    expect(person.frames).toEqual([0, 2]);
    expect(person.boxes).toHaveLength(5);
    expect(person.boxes[1]).toEqual({ frame: 0, x: 0.5, y: 0.2, width: 0.1, height: 0.3, confidence: 0.8 });
    const car = result.objects.find((o) => o.label === 'car')!;
    expect(car).toMatchObject({ count: 1, confidence: 0.95, frames: [1] });
    expectValid(result);
  });

  it('is safe with no anomalies, stamped at the best object, and sure by the least safe frame', () => {
    const result = buildLocalResult(
      frames(3),
      [detection([object('dog', 0.5)]), detection([object('dog', 0.9)], { Sexy: 0.2 }), detection()],
      OPTIONS,
    );
    expect(result.verdict).toBe('safe');
    expect(result.anomalies).toEqual([]);
    expect(result.timestamp).toBe(at(1));
    expect(result.confidence).toBeCloseTo(0.8, 6);
    expect(result).toMatchObject({ actions: [], causalChain: [], rootCause: '' });
    expectValid(result);
  });

  it('stamps an empty window with its last frame', () => {
    const result = buildLocalResult(frames(4), [detection(), detection(), detection(), detection()], OPTIONS);
    expect(result.timestamp).toBe(at(3));
    expect(result.objects).toEqual([]);
    expect(result.verdict).toBe('safe');
    expect(result.confidence).toBe(1);
    expectValid(result);
  });

  it('reports Porn above the threshold as a violation, with the frames as evidence', () => {
    const result = buildLocalResult(
      frames(4),
      [
        detection([object('person', 0.9)]),
        detection([], { Porn: 0.75 }),
        detection([], { Porn: 0.85 }),
        detection([], { Porn: 0.7 }), // equal to the threshold: not above it
      ],
      OPTIONS,
    );
    expect(result.anomalies).toHaveLength(1);
    expect(result.anomalies[0]).toMatchObject({
      type: 'nsfw-porn',
      severity: 'high',
      evidence: [at(1), at(2)],
    });
    expect(result.anomalies[0]!.description).toContain('Porn in 2 of 4 frames');
    expect(result.verdict).toBe('violation');
    expect(result.confidence).toBe(0.85);
    // The anomaly outranks the better-scored person in frame 0.
    expect(result.timestamp).toBe(at(2));
    expectValid(result);
  });

  it('makes Porn and Hentai critical from 0.9, and Sexy alone only a medium anomaly for review', () => {
    const critical = buildLocalResult(frames(1), [detection([], { Hentai: 0.93 })], OPTIONS);
    expect(critical.anomalies).toEqual([
      expect.objectContaining({ type: 'nsfw-hentai', severity: 'critical' }),
    ]);
    expect(critical.verdict).toBe('violation');

    const sexy = buildLocalResult(frames(2), [detection(), detection([], { Sexy: 0.88 })], OPTIONS);
    expect(sexy.anomalies).toEqual([
      expect.objectContaining({ type: 'nsfw-sexy', severity: 'medium', evidence: [at(1)] }),
    ]);
    expect(sexy.verdict).toBe('review');
    expect(sexy.confidence).toBe(0.88);
    expect(sexy.timestamp).toBe(at(1));
    expectValid(critical);
    expectValid(sexy);
  });

  it('lists one anomaly per class, the most severe first, and ignores Drawing and Neutral', () => {
    const result = buildLocalResult(
      frames(3),
      [
        detection([], { Sexy: 0.8 }),
        detection([], { Drawing: 0.99 }),
        detection([], { Porn: 0.96, Sexy: 0.02 }),
      ],
      OPTIONS,
    );
    expect(result.anomalies.map((a) => [a.type, a.severity])).toEqual([
      ['nsfw-porn', 'critical'],
      ['nsfw-sexy', 'medium'],
    ]);
    expect(result.timestamp).toBe(at(2));
    expect(result.confidence).toBe(0.96);
    expectValid(result);
  });

  it('follows the threshold it is given', () => {
    const detections = [detection([], { Sexy: 0.55 })];
    expect(buildLocalResult(frames(1), detections, { nsfwThreshold: 0.7 }).verdict).toBe('safe');
    expect(buildLocalResult(frames(1), detections, { nsfwThreshold: 0.5 }).verdict).toBe('review');
  });

  it('keeps boxes and scores inside 0..1 so the result stays valid', () => {
    const result = buildLocalResult(
      frames(1),
      [
        detection([
          { label: 'person', confidence: 1.0000001, box: { x: -0.01, y: 0.5, width: 1.2, height: 0.5 } },
        ]),
      ],
      OPTIONS,
    );
    expect(result.objects[0]!.boxes[0]).toEqual({
      frame: 0,
      x: 0,
      y: 0.5,
      width: 1,
      height: 0.5,
      confidence: 1,
    });
    expectValid(result);
  });

  it('refuses mismatched or empty input', () => {
    expect(() => buildLocalResult(frames(2), [detection()], OPTIONS)).toThrow(RangeError);
    expect(() => buildLocalResult([], [], OPTIONS)).toThrow(RangeError);
  });

  it('produces results the schema validator really checks (a broken one is rejected)', () => {
    const result = buildLocalResult(frames(1), [detection([object('person', 0.9)])], OPTIONS);
    const broken = structuredClone(result);
    broken.objects[0]!.boxes[0]!.x = 1.5;
    expect(validate(broken)).toBe(false);
  });
});

describe('gateMatches', () => {
  const people: AnalysisGate = { objects: ['person'], nsfw: true, minConfidence: 0.5 };

  it('matches every window when the gate is off', () => {
    const decision = gateMatches({ objects: [], nsfw: false, minConfidence: 0.5 }, [detection()], OPTIONS);
    expect(decision.matched).toBe(true);
    expect(decision.reasons).toEqual(['no gate: every window is sent']);
  });

  it('matches a gate label at minConfidence or more in any frame, naming the best frame', () => {
    const decision = gateMatches(
      people,
      [
        detection([object('person', 0.3)]),
        detection([object('person', 0.5)]),
        detection([object('person', 0.7)]),
      ],
      OPTIONS,
    );
    expect(decision).toEqual({ matched: true, reasons: ['person (0.70) in frame 2'] });
    expect(gateMatches(people, [detection([object('person', 0.5)])], OPTIONS).matched).toBe(true);
  });

  it('does not match a gate label below minConfidence, nor other labels', () => {
    const decision = gateMatches(
      people,
      [detection([object('person', 0.49), object('dog', 0.99)]), detection([object('car', 0.9)])],
      OPTIONS,
    );
    expect(decision.matched).toBe(false);
    expect(decision.reasons).toEqual([
      'none of person at confidence >= 0.5; no NSFW class above 0.7 in 2 frames',
    ]);
  });

  it('compares labels case-insensitively', () => {
    const gate: AnalysisGate = { objects: [' Dog '], nsfw: false, minConfidence: 0.4 };
    expect(gateMatches(gate, [detection([object('dog', 0.6)])], OPTIONS).matched).toBe(true);
  });

  it('matches an unsafe NSFW class above the threshold when the gate checks NSFW, not otherwise', () => {
    const detections = [detection(), detection([], { Sexy: 0.75 })];
    expect(gateMatches(people, detections, OPTIONS)).toEqual({
      matched: true,
      reasons: ['NSFW Sexy (0.75) in frame 1'],
    });
    const noNsfw: AnalysisGate = { ...people, nsfw: false };
    expect(gateMatches(noNsfw, detections, OPTIONS).matched).toBe(false);
    expect(gateMatches(people, detections, { nsfwThreshold: 0.8 }).matched).toBe(false);
  });

  it('does not treat Drawing or Neutral as NSFW', () => {
    const nsfwOnly: AnalysisGate = { objects: [], nsfw: true, minConfidence: 0.5 };
    const decision = gateMatches(nsfwOnly, [detection([], { Drawing: 0.97 }), detection()], OPTIONS);
    expect(decision).toEqual({ matched: false, reasons: ['no NSFW class above 0.7 in 2 frames'] });
  });

  it('gives every reason when several things match', () => {
    const gate: AnalysisGate = { objects: ['person', 'dog'], nsfw: true, minConfidence: 0.5 };
    const decision = gateMatches(
      gate,
      [detection([object('dog', 0.6)]), detection([object('person', 0.8)], { Porn: 0.9 })],
      OPTIONS,
    );
    expect(decision.matched).toBe(true);
    expect(decision.reasons).toEqual([
      'dog (0.60) in frame 0',
      'person (0.80) in frame 1',
      'NSFW Porn (0.90) in frame 1',
    ]);
  });
});
