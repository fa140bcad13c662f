import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { Table } from '../../components/data-table';
import { QueryState } from '../../components/states';
import { formatMinutesOrSeconds } from '../../lib/format';
import { useReviewQueues, useSetReviewQueue, type ReviewQueue } from './use-review-queues';
import { Field, fieldProblems, FormActions, optionalNumber, OtherProblems } from '../../components/form-kit';

const PATHS = [
  'input.name',
  'input.claimWithinSeconds',
  'input.decideWithinSeconds',
  'input.whenStreamNotLive',
];

type NotLivePolicy = 'ESCALATE' | 'PAUSE';

/** What a late item of a stream no longer live (stopped, ended) does, as a select. */
function NotLiveSelect({
  value,
  onChange,
  form,
  label,
}: {
  value: NotLivePolicy;
  onChange: (value: NotLivePolicy) => void;
  form?: string;
  label?: string;
}) {
  return (
    <select
      form={form}
      aria-label={label}
      value={value}
      onChange={(event) => onChange(event.target.value as NotLivePolicy)}
    >
      <option value="ESCALATE">Escalate as usual</option>
      <option value="PAUSE">Pause its deadlines</option>
    </select>
  );
}

/** Review queues' service levels: how soon an item must be claimed and decided before it escalates. */
export function QueueSettings() {
  const { queues: loaded, fetching, error, refresh } = useReviewQueues();
  return (
    <section className="page admin-page" aria-labelledby="queues-title">
      <p>
        <Link to="/admin/rules">← Rules</Link>
      </p>
      <h1 id="queues-title">Review queue settings</h1>
      <p className="muted">
        Rules send review items to a queue by name (their action’s <code>queue</code>). An item not claimed in
        time (counted from its creation) or not decided in time (counted from its claim) escalates itself.
        Once its stream is stopped or ended, the queue says whether it still escalates or waits. Queues
        without settings use 300 s to claim and 900 s to decide, and escalate.
      </p>
      <QueryState
        fetching={fetching}
        error={error}
        data={loaded}
        retry={refresh}
        isEmpty={(queues) => queues.length === 0}
        empty="No queue has its own settings yet."
      >
        {(queues) => (
          <Table
            headers={[
              'Queue',
              'Claim within (seconds)',
              'Decide within (seconds)',
              'Stream no longer live',
              'Change',
            ]}
          >
            {queues.map((queue) => (
              <QueueRow key={queue.id} queue={queue} onSaved={refresh} />
            ))}
          </Table>
        )}
      </QueryState>
      <QueueForm onSaved={refresh} />
    </section>
  );
}

function QueueRow({ queue, onSaved }: { queue: ReviewQueue; onSaved: () => void }) {
  const [state, save] = useSetReviewQueue();
  const [claim, setClaim] = useState(String(queue.claimWithinSeconds));
  const [decide, setDecide] = useState(String(queue.decideWithinSeconds));
  const [notLive, setNotLive] = useState<NotLivePolicy>(queue.whenStreamNotLive);
  const problems = fieldProblems(state.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = {
      name: queue.name,
      claimWithinSeconds: optionalNumber(claim),
      decideWithinSeconds: optionalNumber(decide),
      whenStreamNotLive: notLive,
    };
    if (await save({ input })) onSaved();
  }

  const formId = `queue-form-${queue.id}`;
  return (
    <tr>
      <th scope="row">{queue.name}</th>
      <td>
        <Field
          label={<span className="visually-hidden">Claim within (seconds) for {queue.name}</span>}
          path="input.claimWithinSeconds"
          problems={problems}
          hint={formatMinutesOrSeconds(queue.claimWithinSeconds)}
          className="seconds-field"
        >
          <input type="number" form={formId} value={claim} onChange={(e) => setClaim(e.target.value)} />
        </Field>
      </td>
      <td>
        <Field
          label={<span className="visually-hidden">Decide within (seconds) for {queue.name}</span>}
          path="input.decideWithinSeconds"
          problems={problems}
          hint={formatMinutesOrSeconds(queue.decideWithinSeconds)}
          className="seconds-field"
        >
          <input type="number" form={formId} value={decide} onChange={(e) => setDecide(e.target.value)} />
        </Field>
      </td>
      <td>
        <NotLiveSelect
          form={formId}
          value={notLive}
          onChange={setNotLive}
          label={`When the stream of an item in ${queue.name} is no longer live`}
        />
      </td>
      <td>
        <form id={formId} onSubmit={submit}>
          <button type="submit" disabled={state.fetching} aria-label={`Save queue ${queue.name}`}>
            Save
          </button>
        </form>
        <OtherProblems problems={problems} paths={PATHS} />
      </td>
    </tr>
  );
}

function QueueForm({ onSaved }: { onSaved: () => void }) {
  const [state, save] = useSetReviewQueue();
  const [name, setName] = useState('');
  const [claim, setClaim] = useState('300');
  const [decide, setDecide] = useState('900');
  const [notLive, setNotLive] = useState<NotLivePolicy>('ESCALATE');
  const problems = fieldProblems(state.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = {
      name: name.trim(),
      claimWithinSeconds: optionalNumber(claim),
      decideWithinSeconds: optionalNumber(decide),
      whenStreamNotLive: notLive,
    };
    if (await save({ input })) {
      setName('');
      setNotLive('ESCALATE');
      onSaved();
    }
  }

  return (
    <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="queue-new-title">
      <h2 id="queue-new-title">Set a queue’s service levels</h2>
      <div className="form-grid">
        <Field
          label="Queue name"
          path="input.name"
          problems={problems}
          hint="As named in rule actions, e.g. lawn"
        >
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field label="Claim within (seconds)" path="input.claimWithinSeconds" problems={problems}>
          <input type="number" value={claim} onChange={(e) => setClaim(e.target.value)} />
        </Field>
        <Field label="Decide within (seconds)" path="input.decideWithinSeconds" problems={problems}>
          <input type="number" value={decide} onChange={(e) => setDecide(e.target.value)} />
        </Field>
        <Field label="Once its stream is stopped or ended" path="input.whenStreamNotLive" problems={problems}>
          <NotLiveSelect value={notLive} onChange={setNotLive} />
        </Field>
      </div>
      <FormActions
        problems={problems}
        paths={PATHS}
        busy={state.fetching}
        busyLabel="Saving…"
        label="Save queue settings"
      />
    </form>
  );
}
