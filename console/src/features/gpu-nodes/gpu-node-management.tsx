import { useState, type FormEvent } from 'react';
import { QueryState } from '../../components/states';
import {
  NODES_REFRESH_MS,
  useActivateInferenceNode,
  useDrainInferenceNode,
  useInferenceNodes,
  useRegisterInferenceNode,
  useRemoveInferenceNode,
  type InferenceNode,
} from './use-inference-nodes';
import { formatPercent, formatTime } from '../../lib/format';
import {
  confirmAction,
  Field,
  fieldProblems,
  optionalNumber,
  OtherProblems,
} from '../../components/form-kit';

const PATHS = [
  'input.name',
  'input.url',
  'input.model',
  'input.apiKey',
  'input.maxConcurrency',
  'input.weight',
];

function health(node: InferenceNode): { text: string; className: string } {
  if (node.healthy === null) return { text: 'no report', className: 'muted' };
  return node.healthy
    ? { text: 'healthy', className: 'status-ACTIVE' }
    : { text: 'unhealthy', className: 'status-DEAD' };
}

/** GPU nodes (platform admins only): health and load as the workers see them; register, drain, remove. */
export function GpuNodeManagement() {
  const { nodes: loaded, fetching, error, refresh } = useInferenceNodes();
  const [registerState, register] = useRegisterInferenceNode();
  const [drainState, drain] = useDrainInferenceNode(refresh);
  const [activateState, activate] = useActivateInferenceNode(refresh);
  const [removeState, remove] = useRemoveInferenceNode(refresh);
  const busy = drainState.fetching || activateState.fetching || removeState.fetching;
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
    refresh();
  }

  async function onDrain(node: InferenceNode) {
    if (!confirmAction(`Drain ${node.name}? It finishes what it has and gets no new work.`)) return;
    await drain({ nodeId: node.id });
  }

  async function onRemove(node: InferenceNode) {
    if (!confirmAction(`Remove ${node.name}? Requests in flight finish; workers stop using it.`)) return;
    await remove({ nodeId: node.id });
  }

  return (
    <section className="page admin-page" aria-labelledby="nodes-title">
      <h1 id="nodes-title">GPU nodes</h1>
      <p className="muted">
        What the workers report, refreshed every {NODES_REFRESH_MS / 1000} s. Nodes from{' '}
        <code>VLLM_NODES</code> (source config) are changed there; registered nodes here.
      </p>
      <QueryState
        fetching={fetching}
        error={error}
        data={loaded}
        retry={refresh}
        isEmpty={(nodes) => nodes.length === 0}
        empty="No GPU nodes: windows are analysed by the local detector. Register a vLLM node below."
      >
        {(nodes) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col">Health</th>
                <th scope="col">Breaker</th>
                <th scope="col">Outstanding / running / waiting</th>
                <th scope="col">KV cache</th>
                <th scope="col">Model</th>
                <th scope="col">Source, state</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {nodes.map((node) => {
                const nodeHealth = health(node);
                return (
                  <tr key={node.id}>
                    <th scope="row">
                      {node.name}
                      <div className="muted wrap-anywhere">{node.url}</div>
                      {node.problem && <div className="error-text">{node.problem}</div>}
                      {node.lastError && <div className="error-text">Last error: {node.lastError}</div>}
                    </th>
                    <td>
                      <span className={`badge ${nodeHealth.className}`}>{nodeHealth.text}</span>
                      <div className="muted">
                        {node.workersReporting} worker{node.workersReporting === 1 ? '' : 's'}
                        {node.reportedAt && `, ${formatTime(node.reportedAt)}`}
                      </div>
                    </td>
                    <td>
                      {node.breaker ? (
                        <span className={`badge breaker-${node.breaker}`}>
                          {node.breaker.toLowerCase().replace('_', '-')}
                        </span>
                      ) : (
                        '—'
                      )}
                    </td>
                    <td>
                      {node.outstanding} / {node.running ?? '—'} / {node.waiting ?? '—'}
                      <div className="muted">
                        max {node.maxConcurrency} per worker, weight {node.weight}
                      </div>
                    </td>
                    <td>{formatPercent(node.kvCacheUsage)}</td>
                    <td>{node.model}</td>
                    <td>
                      {node.source.toLowerCase()}
                      <div>
                        <span
                          className={`badge ${node.state === 'ACTIVE' ? 'status-ACTIVE' : 'status-PAUSED'}`}
                        >
                          {node.state.toLowerCase()}
                        </span>
                      </div>
                    </td>
                    <td>
                      <div className="toolbar">
                        {node.source === 'REGISTRY' ? (
                          <>
                            {node.state === 'ACTIVE' ? (
                              <button
                                type="button"
                                disabled={busy}
                                aria-label={`Drain ${node.name}`}
                                onClick={() => void onDrain(node)}
                              >
                                Drain
                              </button>
                            ) : (
                              <button
                                type="button"
                                disabled={busy}
                                aria-label={`Activate ${node.name}`}
                                onClick={() => void activate({ nodeId: node.id })}
                              >
                                Activate
                              </button>
                            )}
                            <button
                              type="button"
                              className="danger"
                              disabled={busy}
                              aria-label={`Remove ${node.name}`}
                              onClick={() => void onRemove(node)}
                            >
                              Remove
                            </button>
                          </>
                        ) : (
                          <span className="muted">change in VLLM_NODES</span>
                        )}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </QueryState>
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
            hint="http(s) base URL of /v1, no credentials"
            className="span-2"
          >
            <input
              type="url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              required
              placeholder="http://gpu-1:8000/v1"
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
        <OtherProblems problems={problems} paths={PATHS} />
        <div className="toolbar">
          <button type="submit" className="primary" disabled={registerState.fetching}>
            {registerState.fetching ? 'Registering…' : 'Register node'}
          </button>
        </div>
      </form>
    </section>
  );
}
