import { useLabelVocabulary } from '../labels/use-label-vocabulary';

/** Each predicate of the rule language with an example, as the API accepts them. */
const PREDICATES: { name: string; example: string | string[]; meaning: string }[] = [
  {
    name: 'object',
    example: '{"object": {"label": "person", "minConfidence": 0.9, "minCount": 4}}',
    meaning:
      'With boxes (local results): that many of the label in one frame, each that confident. Without boxes: the best confidence and the largest count.',
  },
  {
    name: 'event',
    example: '{"event": {"type": "enter", "zone": "Lawn", "label": "person"}}',
    meaning:
      'What a tracked object did: enter, leave, dwell, cross, wrong-way, crowd, crowd-end (zone required), run, fall, left-behind. Optional: direction (to-left, to-right; cross, wrong-way), minSeconds (dwell, left-behind), minCount (a crowd’s count, else distinct tracks). Each event fires once.',
  },
  {
    name: 'event (loitering)',
    example: '{"event": {"type": "dwell", "zone": "Walkway", "minSeconds": 60}}',
    meaning: 'Someone stayed at least a minute on the walkway.',
  },
  {
    name: 'track',
    example: '{"track": {"label": "person", "zone": "Lawn", "minSpeed": 2, "minDwellSeconds": 30}}',
    meaning:
      'One tracked object meeting all that is given: label, having been in the zone, at least minSpeed body heights a second, at least minDwellSeconds in the zone (or any).',
  },
  { name: 'action', example: '{"action": {"action": "climbing", "actor": "person"}}', meaning: '' },
  { name: 'anomaly', example: '{"anomaly": {"type": "intrusion", "minSeverity": "high"}}', meaning: '' },
  {
    name: 'verdict, confidence',
    example: '{"verdict": "violation"}  {"confidence": {"min": 0.8}}',
    meaning: '',
  },
  { name: 'text', example: '{"text": {"contains": "ladder", "in": "summary"}}', meaning: '' },
  {
    name: 'all, any, not',
    example: ['{"all": [c, …]}', '{"any": [c, …]}', '{"not": c}'],
    meaning: 'Combine conditions.',
  },
  {
    name: 'over time',
    example: [
      '{"appears": {"when": c, "absentFor": 3}}',
      '{"disappears": {"when": c, "presentFor": 2}}',
      '{"persists": {"when": c, "windows": 5}}',
      '{"occurs": {"when": c, "times": 3, "withinSeconds": 60}}',
    ],
    meaning: 'Over the stream’s recent windows.',
  },
];

/** The rule language at a glance, and the labels a condition may name (the tenant's vocabulary). */
export function RuleLanguageHelp() {
  const { vocabulary, error } = useLabelVocabulary();
  const custom = new Set(vocabulary?.customLabels ?? []);
  const coco = (vocabulary?.labelVocabulary ?? []).filter((label) => !custom.has(label));
  return (
    <details className="rule-help">
      <summary>Rule language and known labels</summary>
      <dl>
        {PREDICATES.map((predicate) => (
          <div key={predicate.name}>
            <dt>{predicate.name}</dt>
            <dd>
              {[predicate.example].flat().map((example) => (
                <code key={example} className="rule-help-example">
                  {example}
                </code>
              ))}
              {predicate.meaning && <span className="muted"> {predicate.meaning}</span>}
            </dd>
          </div>
        ))}
      </dl>
      <p>
        <strong>Labels</strong> (object, event, track) must be known:{' '}
        {error ? (
          <span className="error-text">the list could not be loaded.</span>
        ) : !vocabulary ? (
          <span className="muted">loading…</span>
        ) : (
          <>
            {custom.size > 0 ? (
              <>
                your own: <span data-testid="custom-label-list">{[...custom].join(', ')}</span>; and
              </>
            ) : (
              'no custom labels (add them on the rules page), and'
            )}{' '}
            the {coco.length} COCO labels: <span className="muted">{coco.join(', ')}</span>.
          </>
        )}
      </p>
    </details>
  );
}
