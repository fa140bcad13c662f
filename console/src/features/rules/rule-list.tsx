import { Link } from 'react-router';
import { EnabledBadge } from '../../components/badges';
import { DataTable, RowAction } from '../../components/data-table';
import { CustomLabels } from '../labels/custom-labels';
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
      <DataTable
        rows={loaded}
        rowKey={(rule) => rule.id}
        query={{ fetching, error, retry: refresh }}
        empty="No rules yet. A rule turns analysis results into review items, alerts or webhooks."
        columns={[
          {
            header: 'Name',
            rowHeader: true,
            cell: (rule) => <Link to={`/admin/rules/${rule.id}`}>{rule.name}</Link>,
          },
          {
            header: 'State',
            cell: (rule) => (
              <>
                <EnabledBadge enabled={rule.enabled} />
                {rule.lastError && <span className="badge status-DEAD">failing</span>}
              </>
            ),
          },
          { header: 'Priority', cell: (rule) => rule.priority },
          { header: 'Cooldown', cell: (rule) => formatSeconds(rule.cooldownSeconds) },
          { header: 'Action', cell: (rule) => describeAction(rule.action) },
          { header: 'Updated', cell: (rule) => formatTime(rule.updatedAt) },
          {
            header: <span className="visually-hidden">Switch</span>,
            cell: (rule) => (
              <RowAction
                disabled={busy}
                label={`${rule.enabled ? 'Disable' : 'Enable'} rule ${rule.name}`}
                onClick={() =>
                  void (rule.enabled ? disable({ ruleId: rule.id }) : enable({ ruleId: rule.id }))
                }
              >
                {rule.enabled ? 'Disable' : 'Enable'}
              </RowAction>
            ),
          },
        ]}
      />
      <CustomLabels />
    </section>
  );
}
