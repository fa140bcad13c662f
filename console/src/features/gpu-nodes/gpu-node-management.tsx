import { DataTable, RowAction, RowActions } from '../../components/data-table';
import { confirmAction } from '../../components/form-kit';
import {
  NODES_REFRESH_MS,
  useActivateInferenceNode,
  useDrainInferenceNode,
  useInferenceNodes,
  useRemoveInferenceNode,
  type InferenceNode,
} from './use-inference-nodes';
import { formatPercent, formatTime } from '../../lib/format';
import { RegisterNodeForm } from './register-node-form';

/** Whether the workers can reach the node, and how many of them reported it when. */
function NodeHealth({ node }: { node: InferenceNode }) {
  const health =
    node.healthy === null
      ? { text: 'no report', className: 'muted' }
      : node.healthy
        ? { text: 'healthy', className: 'status-ACTIVE' }
        : { text: 'unhealthy', className: 'status-DEAD' };
  return (
    <>
      <span className={`badge ${health.className}`}>{health.text}</span>
      <div className="muted">
        {node.workersReporting} worker{node.workersReporting === 1 ? '' : 's'}
        {node.reportedAt && `, ${formatTime(node.reportedAt)}`}
      </div>
    </>
  );
}

/** GPU nodes (platform admins only): health and load as the workers see them; register, drain, remove. */
export function GpuNodeManagement() {
  const { nodes: loaded, fetching, error, refresh } = useInferenceNodes();
  const [drainState, drain] = useDrainInferenceNode(refresh);
  const [activateState, activate] = useActivateInferenceNode(refresh);
  const [removeState, remove] = useRemoveInferenceNode(refresh);
  const busy = drainState.fetching || activateState.fetching || removeState.fetching;

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
      <DataTable
        rows={loaded}
        rowKey={(node) => node.id}
        query={{ fetching, error, retry: refresh }}
        empty="No GPU nodes: windows are analysed by the local detector. Register a vLLM node below."
        columns={[
          {
            header: 'Node',
            rowHeader: true,
            cell: (node) => (
              <>
                {node.name}
                <div className="muted wrap-anywhere">{node.url}</div>
                {node.problem && <div className="error-text">{node.problem}</div>}
                {node.lastError && <div className="error-text">Last error: {node.lastError}</div>}
              </>
            ),
          },
          { header: 'Health', cell: (node) => <NodeHealth node={node} /> },
          {
            header: 'Breaker',
            cell: (node) =>
              node.breaker ? (
                <span className={`badge breaker-${node.breaker}`}>
                  {node.breaker.toLowerCase().replace('_', '-')}
                </span>
              ) : (
                '—'
              ),
          },
          {
            header: 'Outstanding / running / waiting',
            cell: (node) => (
              <>
                {node.outstanding} / {node.running ?? '—'} / {node.waiting ?? '—'}
                <div className="muted">
                  max {node.maxConcurrency} per worker, weight {node.weight}
                </div>
              </>
            ),
          },
          { header: 'KV cache', cell: (node) => formatPercent(node.kvCacheUsage) },
          { header: 'Model', cell: (node) => node.model },
          {
            header: 'Source, state',
            cell: (node) => (
              <>
                {node.source.toLowerCase()}
                <div>
                  <span className={`badge ${node.state === 'ACTIVE' ? 'status-ACTIVE' : 'status-PAUSED'}`}>
                    {node.state.toLowerCase()}
                  </span>
                </div>
              </>
            ),
          },
          {
            header: 'Actions',
            cell: (node) => (
              <RowActions>
                {node.source === 'REGISTRY' ? (
                  <>
                    {node.state === 'ACTIVE' ? (
                      <RowAction
                        disabled={busy}
                        label={`Drain ${node.name}`}
                        onClick={() => void onDrain(node)}
                      >
                        Drain
                      </RowAction>
                    ) : (
                      <RowAction
                        disabled={busy}
                        label={`Activate ${node.name}`}
                        onClick={() => void activate({ nodeId: node.id })}
                      >
                        Activate
                      </RowAction>
                    )}
                    <RowAction
                      danger
                      disabled={busy}
                      label={`Remove ${node.name}`}
                      onClick={() => void onRemove(node)}
                    >
                      Remove
                    </RowAction>
                  </>
                ) : (
                  <span className="muted">change in VLLM_NODES</span>
                )}
              </RowActions>
            ),
          },
        ]}
      />
      <RegisterNodeForm onRegistered={refresh} />
    </section>
  );
}
