import { useState, type FormEvent } from 'react';
import { Field, fieldProblems, OtherProblems } from '../../components/form-kit';
import { useUpdateWebhookEndpoint, type WebhookEndpoint } from './use-webhooks';

/** The events an endpoint can subscribe to. */
const EVENTS = ['rule.fired', 'incident.opened', 'review.resolved', 'stream.stopped', 'alert.raised'];

/** Checkboxes for the events an endpoint receives. */
export function EventChoice({
  value,
  onChange,
  legend,
}: {
  value: string[];
  onChange: (events: string[]) => void;
  legend: string;
}) {
  return (
    <fieldset className="event-choice">
      <legend>{legend}</legend>
      {EVENTS.map((name) => (
        <label key={name} className="inline">
          <input
            type="checkbox"
            checked={value.includes(name)}
            onChange={(e) =>
              onChange(e.target.checked ? [...value, name] : value.filter((item) => item !== name))
            }
          />
          <code>{name}</code>
        </label>
      ))}
    </fieldset>
  );
}

/** Changes an endpoint's URL, events and whether it is enabled (inline, under its row). */
export function EndpointEditor({
  endpoint,
  onSaved,
  onCancel,
}: {
  endpoint: WebhookEndpoint;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [state, update] = useUpdateWebhookEndpoint();
  const [url, setUrl] = useState(endpoint.url);
  const [events, setEvents] = useState(endpoint.events);
  const [enabled, setEnabled] = useState(endpoint.enabled);
  const problems = fieldProblems(state.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { events, enabled, ...(url.trim() !== endpoint.url ? { url: url.trim() } : {}) };
    if (await update({ id: endpoint.id, input })) onSaved();
  }

  return (
    <form className="admin-form" onSubmit={submit} noValidate aria-label={`Edit ${endpoint.url}`}>
      <Field label="Endpoint URL" path="input.url" problems={problems}>
        <input type="url" value={url} onChange={(e) => setUrl(e.target.value)} />
      </Field>
      <EventChoice value={events} onChange={setEvents} legend="Events (none checked: every event)" />
      <label className="inline">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled (disabled endpoints receive nothing)
      </label>
      <OtherProblems problems={problems} paths={['input.url']} />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={state.fetching}>
          Save endpoint
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
