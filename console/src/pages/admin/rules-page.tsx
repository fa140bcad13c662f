import { Link } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../../api/graphql';
import { QueryState } from '../../components/states';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import { formatTime } from '../../lib/format';

const RulesQuery = graphql(`
  query AdminRules {
    rules(first: 100) {
      edges {
        node {
          id
          name
          enabled
          priority
          cooldownSeconds
          action
          updatedAt
        }
      }
    }
  }
`);

export const EnableRuleMutation = graphql(`
  mutation EnableRule($ruleId: ID!) {
    enableRule(ruleId: $ruleId) {
      id
      name
      enabled
    }
  }
`);

export const DisableRuleMutation = graphql(`
  mutation DisableRule($ruleId: ID!) {
    disableRule(ruleId: $ruleId) {
      id
      name
      enabled
    }
  }
`);

/** What a rule's action does, in words. */
export function describeAction(action: Record<string, unknown>): string {
  switch (action.type) {
    case 'review':
      return `review in “${String(action.queue ?? 'default')}”, priority ${String(action.priority ?? 50)}`;
    case 'alert':
      return `alert (${String(action.severity ?? 'high')})`;
    case 'webhook':
      return `webhook ${String(action.event ?? 'rule.fired')}`;
    case 'autoDismiss':
      return `auto-dismiss below ${String(action.belowConfidence)}`;
    default:
      return String(action.type ?? '—');
  }
}

/** The tenant's rules, highest priority first, with a switch to enable or disable each. */
export function RulesPage() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: RulesQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const [enableState, enable] = useMutationToast(
    EnableRuleMutation,
    (r) => `Rule “${r.enableRule.name}” enabled`,
  );
  const [disableState, disable] = useMutationToast(
    DisableRuleMutation,
    (r) => `Rule “${r.disableRule.name}” disabled`,
  );
  const busy = enableState.fetching || disableState.fetching;

  return (
    <section className="page admin-page" aria-labelledby="rules-title">
      <div className="toolbar">
        <h1 id="rules-title">Rules</h1>
        <Link to="/admin/rules/new" className="button-link">
          New rule
        </Link>
        <Link to="/admin/queues">Review queue settings</Link>
      </div>
      <QueryState
        fetching={fetching}
        error={error}
        data={data?.rules.edges
          .map((edge) => edge.node)
          .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name))}
        retry={refresh}
        isEmpty={(rules) => rules.length === 0}
        empty="No rules yet. A rule turns analysis results into review items, alerts or webhooks."
      >
        {(rules) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Priority</th>
                <th scope="col">Cooldown</th>
                <th scope="col">Action</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Switch</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((rule) => (
                <tr key={rule.id}>
                  <th scope="row">
                    <Link to={`/admin/rules/${rule.id}`}>{rule.name}</Link>
                  </th>
                  <td>
                    <span className={`badge ${rule.enabled ? 'status-ACTIVE' : 'status-PAUSED'}`}>
                      {rule.enabled ? 'enabled' : 'disabled'}
                    </span>
                  </td>
                  <td>{rule.priority}</td>
                  <td>{rule.cooldownSeconds} s</td>
                  <td>{describeAction(rule.action)}</td>
                  <td>{formatTime(rule.updatedAt)}</td>
                  <td>
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`${rule.enabled ? 'Disable' : 'Enable'} rule ${rule.name}`}
                      onClick={() =>
                        void (rule.enabled ? disable({ ruleId: rule.id }) : enable({ ruleId: rule.id })).then(
                          refresh,
                        )
                      }
                    >
                      {rule.enabled ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </section>
  );
}
