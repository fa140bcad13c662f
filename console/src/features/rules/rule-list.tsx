import { Link } from 'react-router';
import { EnabledBadge } from '../../components/badges';
import { QueryState } from '../../components/states';
import { describeAction } from './describe-action';
import { useDisableRule, useEnableRule, useRules } from './use-rules';
import { formatSeconds, formatTime } from '../../lib/format';

/** The tenant's rules, highest priority first, with a switch to enable or disable each. */
export function RuleList() {
  const { rules: loaded, fetching, error, refresh } = useRules();
  const [enableState, enable] = useEnableRule(refresh);
  const [disableState, disable] = useDisableRule(refresh);
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
        data={loaded}
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
                    <EnabledBadge enabled={rule.enabled} />
                  </td>
                  <td>{rule.priority}</td>
                  <td>{formatSeconds(rule.cooldownSeconds)}</td>
                  <td>{describeAction(rule.action)}</td>
                  <td>{formatTime(rule.updatedAt)}</td>
                  <td>
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`${rule.enabled ? 'Disable' : 'Enable'} rule ${rule.name}`}
                      onClick={() =>
                        void (rule.enabled ? disable({ ruleId: rule.id }) : enable({ ruleId: rule.id }))
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
