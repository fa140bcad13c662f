import { useState, type FormEvent } from 'react';
import { Field, fieldProblems, FormActions, type FieldProblem } from '../../components/form-kit';
import { QueryState } from '../../components/states';
import { useLabelVocabulary, useSetCustomLabels } from './use-label-vocabulary';

const PATHS = ['labels'];

/**
 * The tenant's own labels, beside the 80 COCO labels: the vocabulary that the labels of rules and
 * template gates are checked against. One label per line; the API stores them trimmed and lower-case.
 */
export function CustomLabels() {
  const { vocabulary, fetching, error, refresh } = useLabelVocabulary();
  return (
    <section className="card" aria-labelledby="custom-labels-title">
      <h2 id="custom-labels-title">Custom labels</h2>
      <p className="muted">
        Rules (<code>object</code>, <code>event</code> and <code>track</code> labels) and template gates may
        name the 80 COCO labels the local detector knows and the labels listed here, for what your models or
        detectors report beyond them. Any other label is refused, with the closest known one suggested.
      </p>
      <QueryState fetching={fetching} error={error} data={vocabulary} retry={refresh}>
        {(tenant) => (
          <CustomLabelsForm
            key={tenant.customLabels.join('\n')}
            labels={tenant.customLabels}
            onSaved={refresh}
          />
        )}
      </QueryState>
    </section>
  );
}

function CustomLabelsForm({ labels, onSaved }: { labels: string[]; onSaved: () => void }) {
  const [text, setText] = useState(labels.join('\n'));
  const [sent, setSent] = useState<string[]>([]);
  const [state, save] = useSetCustomLabels();
  const problems = byLine(fieldProblems(state.error), sent);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const entered = text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean);
    setSent(entered);
    if (await save({ labels: entered })) onSaved();
  }

  return (
    <form className="admin-form" onSubmit={submit} noValidate aria-label="Custom labels">
      <Field
        label="Custom labels, one per line"
        path="labels"
        problems={problems}
        hint="At most 200, each up to 60 characters; none of the COCO labels"
      >
        <textarea rows={6} value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} />
      </Field>
      <FormActions
        problems={problems}
        paths={PATHS}
        busy={state.fetching}
        busyLabel="Saving…"
        label="Save custom labels"
      />
    </form>
  );
}

/** The API names a label by its index (`labels.2`); people read its position and the label itself. */
function byLine(problems: FieldProblem[], sent: string[]): FieldProblem[] {
  return problems.map((problem) => {
    const index = /^labels\.(\d+)$/.exec(problem.field)?.[1];
    if (index === undefined) return problem;
    const label = sent[Number(index)];
    const where = `label ${Number(index) + 1}${label === undefined ? '' : ` (“${label.slice(0, 60)}”)`}`;
    return { field: 'labels', message: `${where}: ${problem.message}` };
  });
}
