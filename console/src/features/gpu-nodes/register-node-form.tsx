import { useState, type FormEvent } from 'react';
import { Field, fieldProblems, FormActions, optionalNumber } from '../../components/form-kit';
import { useRegisterInferenceNode } from './use-inference-nodes';

const PATHS = [
  'input.name',
  'input.url',
  'input.model',
  'input.apiKey',
  'input.maxConcurrency',
  'input.weight',
];

/** Registers a vLLM node with the workers; the API key is stored encrypted and never shown again. */
export function RegisterNodeForm({ onRegistered }: { onRegistered: () => void }) {
  const [registerState, register] = useRegisterInferenceNode();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [model, setModel] = useState('qwen3-vl-8b-thinking');
  const [apiKey, setApiKey] = useState('');
  const [maxConcurrency, setMaxConcurrency] = useState('16');
  const [weight, setWeight] = useState('1');
  const problems = fieldProblems(registerState.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await register({
      input: {
        name: name.trim(),
        url: url.trim(),
        model: model.trim(),
        apiKey: apiKey || undefined,
        maxConcurrency: optionalNumber(maxConcurrency),
        weight: optionalNumber(weight),
      },
    });
    if (!result) return;
    setName('');
    setUrl('');
    setApiKey('');
    onRegistered();
  }

  return (
    <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="node-new-title">
      <h2 id="node-new-title">Register a node</h2>
      <div className="form-grid">
        <Field
          label="Node name"
          path="input.name"
          problems={problems}
          hint="Lower-case letters, digits, dot, dash, underscore"
        >
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field
          label="Base URL"
          path="input.url"
          problems={problems}
          hint="The vLLM server’s http(s) address; a trailing /v1 is accepted and removed. No credentials"
          className="span-2"
        >
          <input
            type="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            required
            placeholder="http://gpu-1:8000"
          />
        </Field>
        <Field label="Served model name" path="input.model" problems={problems}>
          <input value={model} onChange={(e) => setModel(e.target.value)} required />
        </Field>
        <Field
          label="API key (optional)"
          path="input.apiKey"
          problems={problems}
          hint="Sent as a bearer token; stored encrypted, never shown"
        >
          <input
            type="password"
            value={apiKey}
            onChange={(e) => setApiKey(e.target.value)}
            autoComplete="off"
          />
        </Field>
        <Field label="Max concurrency" path="input.maxConcurrency" problems={problems} hint="1 to 1024">
          <input type="number" value={maxConcurrency} onChange={(e) => setMaxConcurrency(e.target.value)} />
        </Field>
        <Field label="Weight" path="input.weight" problems={problems} hint="Above 0, at most 1000">
          <input type="number" step="0.1" value={weight} onChange={(e) => setWeight(e.target.value)} />
        </Field>
      </div>
      <FormActions
        problems={problems}
        paths={PATHS}
        busy={registerState.fetching}
        busyLabel="Registering…"
        label="Register node"
      />
    </form>
  );
}
