import { useState, type FormEvent } from 'react';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Table } from '../../components/data-table';
import { Field, fieldProblems, FormActions } from '../../components/form-kit';
import { QueryState } from '../../components/states';
import { formatTime } from '../../lib/format';
import {
  useAdminPolicyReasons,
  useArchivePolicyReason,
  useCreatePolicyReason,
  type AdminPolicyReason,
} from './use-policy-reasons';

const DECISIONS = [
  ['DISMISS', 'Dismiss'],
  ['CONFIRM_VIOLATION', 'Confirm violation'],
  ['ESCALATE', 'Escalate'],
  ['STOP_STREAM', 'Stop stream'],
] as const;
type Decision = (typeof DECISIONS)[number][0];
const PATHS = ['input.label', 'input.policy', 'input.decisions'];

const decisionNames = (decisions: readonly string[]): string =>
  decisions.length === 0
    ? 'any decision'
    : decisions
        .map((decision) => DECISIONS.find(([value]) => value === decision)?.[1] ?? decision)
        .join(', ');

/**
 * The tenant's policy reasons: what moderators choose from when they decide. An admin adds them
 * and archives those no longer to be offered (decided items keep the words they were decided with).
 */
export function PolicyReasonSettings() {
  const { reasons, fetching, error, refresh } = useAdminPolicyReasons();
  const [archiving, setArchiving] = useState<AdminPolicyReason | null>(null);
  const [archiveState, archive] = useArchivePolicyReason();

  async function confirmArchive() {
    if (!archiving) return;
    if (await archive({ policyReasonId: archiving.id })) refresh();
    setArchiving(null);
  }

  return (
    <section className="admin-page" aria-labelledby="reasons-title">
      <h2 id="reasons-title">Policy reasons</h2>
      <p className="muted">
        A moderator’s decision names one of these reasons (or their own words). Each reason says which policy
        it applies and which decisions it may justify.
      </p>
      <QueryState
        fetching={fetching}
        error={error}
        data={reasons}
        retry={refresh}
        isEmpty={(list) => list.length === 0}
        empty="No policy reasons yet: moderators can only type their own."
      >
        {(list) => (
          <Table headers={['Reason', 'Policy', 'Justifies', 'State', 'Change']} label="Policy reasons">
            {list.map((reason) => (
              <tr key={reason.id} data-policy-reason={reason.label}>
                <th scope="row">{reason.label}</th>
                <td>{reason.policy || <span className="muted">none named</span>}</td>
                <td>{decisionNames(reason.decisions)}</td>
                <td>{reason.archivedAt ? `archived ${formatTime(reason.archivedAt)}` : 'offered'}</td>
                <td>
                  {!reason.archivedAt && (
                    <button type="button" onClick={() => setArchiving(reason)}>
                      Archive<span className="visually-hidden"> {reason.label}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </QueryState>
      <PolicyReasonForm onSaved={refresh} />
      <ConfirmDialog
        open={archiving !== null}
        title="Archive this reason?"
        confirmLabel="Archive reason"
        busy={archiveState.fetching}
        onConfirm={() => void confirmArchive()}
        onCancel={() => setArchiving(null)}
      >
        <p>
          <strong>{archiving?.label}</strong> will no longer be offered to moderators. Items already decided
          with it keep it. An archived reason cannot be offered again.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function PolicyReasonForm({ onSaved }: { onSaved: () => void }) {
  const [state, create] = useCreatePolicyReason();
  const [label, setLabel] = useState('');
  const [policy, setPolicy] = useState('');
  const [decisions, setDecisions] = useState<Decision[]>([]);
  const problems = fieldProblems(state.error);

  function toggle(decision: Decision, on: boolean) {
    setDecisions((current) => (on ? [...current, decision] : current.filter((d) => d !== decision)));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await create({ input: { label: label.trim(), policy: policy.trim(), decisions } })) {
      setLabel('');
      setPolicy('');
      setDecisions([]);
      onSaved();
    }
  }

  return (
    <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="reason-new-title">
      <h3 id="reason-new-title">Add a policy reason</h3>
      <div className="form-grid">
        <Field
          label="Reason"
          path="input.label"
          problems={problems}
          hint="As moderators will see it, e.g. Walking on the lawn"
        >
          <input value={label} onChange={(e) => setLabel(e.target.value)} required />
        </Field>
        <Field label="Policy it applies" path="input.policy" problems={problems} hint="e.g. Site rules §3">
          <input value={policy} onChange={(e) => setPolicy(e.target.value)} />
        </Field>
      </div>
      <fieldset className="reason-decisions">
        <legend>Justifies (none ticked: any decision)</legend>
        {DECISIONS.map(([value, name]) => (
          <label key={value} className="inline">
            <input
              type="checkbox"
              checked={decisions.includes(value)}
              onChange={(e) => toggle(value, e.target.checked)}
            />
            {name}
          </label>
        ))}
      </fieldset>
      <FormActions
        problems={problems}
        paths={PATHS}
        busy={state.fetching}
        busyLabel="Adding…"
        label="Add reason"
      />
    </form>
  );
}
