import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { EnabledBadge } from '../../components/badges';
import {
  confirmAction,
  fieldProblems,
  optionalNumber,
  parseJsonObject,
  reportLocalJsonError,
} from '../../components/form-kit';
import { QueryState } from '../../components/states';
import { formatEditableJson, formatTime } from '../../lib/format';
import { BacktestPanel } from './backtest-panel';
import { RuleDefinitionForm, type RuleDraft } from './rule-definition-form';
import {
  useCreateRule,
  useDeleteRule,
  useDisableRule,
  useEnableRule,
  useRule,
  useUpdateRule,
  type Rule,
} from './use-rules';

const NEW_RULE = {
  name: '',
  priority: 0,
  cooldownSeconds: 60,
  condition: { object: { label: 'person', minConfidence: 0.5 } },
  action: { type: 'review', queue: 'default', priority: 50 },
};

/** A rule's editor and backtest: without an id it creates a rule, with one it edits that rule. */
export function RuleDetails({ ruleId }: { ruleId: string | undefined }) {
  const { rule: loaded, fetching, error, refresh } = useRule(ruleId);

  return (
    <section className="page admin-page" aria-labelledby="rule-title">
      <p>
        <Link to="/admin/rules">← All rules</Link> · <Link to="/admin/queues">Review queue settings</Link>
      </p>
      {ruleId ? (
        <QueryState fetching={fetching} error={error} data={loaded} retry={refresh}>
          {(rule) => <RuleEditor key={rule.id} rule={rule} onSaved={refresh} />}
        </QueryState>
      ) : (
        <RuleEditor rule={null} onSaved={refresh} />
      )}
    </section>
  );
}

function RuleEditor({ rule, onSaved }: { rule: Rule | null; onSaved: () => void }) {
  const navigate = useNavigate();
  const start = rule ?? NEW_RULE;
  const [draft, setDraft] = useState<RuleDraft>(() => ({
    name: start.name,
    priority: String(start.priority),
    cooldown: String(start.cooldownSeconds),
    condition: formatEditableJson(start.condition),
    action: formatEditableJson(start.action),
  }));
  const change = (key: keyof RuleDraft, value: string) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const [createState, createRule] = useCreateRule();
  const [updateState, updateRule] = useUpdateRule();
  const [, enableRule] = useEnableRule();
  const [, disableRule] = useDisableRule();
  const [deleteState, deleteRule] = useDeleteRule();
  const saving = createState.fetching || updateState.fetching;
  const problems = fieldProblems(rule ? updateState.error : createState.error);

  /** The draft's condition and action, or null (with a toast) when either is not valid JSON. */
  function parsedDraft() {
    const parsedCondition = parseJsonObject(draft.condition);
    if (parsedCondition.error !== undefined) {
      reportLocalJsonError('The condition', parsedCondition.error);
      return null;
    }
    const parsedAction = parseJsonObject(draft.action);
    if (parsedAction.error !== undefined) {
      reportLocalJsonError('The action', parsedAction.error);
      return null;
    }
    return { condition: parsedCondition.value ?? {}, action: parsedAction.value ?? {} };
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const parsed = parsedDraft();
    if (!parsed) return;
    const fields = {
      name: draft.name.trim(),
      priority: optionalNumber(draft.priority),
      cooldownSeconds: optionalNumber(draft.cooldown),
      ...parsed,
    };
    if (rule) {
      if (await updateRule({ ruleId: rule.id, input: fields })) onSaved();
    } else {
      const created = await createRule({ input: fields });
      if (created) void navigate(`/admin/rules/${created.createRule.id}`, { replace: true });
    }
  }

  async function toggle() {
    if (!rule) return;
    const done = rule.enabled
      ? await disableRule({ ruleId: rule.id })
      : await enableRule({ ruleId: rule.id });
    if (done) onSaved();
  }

  async function remove() {
    if (!rule) return;
    if (
      !confirmAction(
        `Delete the rule “${rule.name}”? This cannot be undone. A rule that has fired cannot be deleted (disable it instead).`,
      )
    )
      return;
    if (await deleteRule({ ruleId: rule.id })) void navigate('/admin/rules');
  }

  return (
    <>
      <div className="toolbar">
        <h1 id="rule-title">{rule ? `Rule: ${rule.name}` : 'New rule'}</h1>
        {rule && (
          <>
            <EnabledBadge enabled={rule.enabled} />
            <button type="button" onClick={() => void toggle()}>
              {rule.enabled ? 'Disable rule' : 'Enable rule'}
            </button>
            <button
              type="button"
              className="danger"
              disabled={deleteState.fetching}
              onClick={() => void remove()}
            >
              Delete rule
            </button>
            <span className="muted">Updated {formatTime(rule.updatedAt)}</span>
          </>
        )}
      </div>
      {rule?.lastError && (
        <p className="card error-text" role="alert">
          This rule failed when it last ran{rule.lastErrorAt ? ` (${formatTime(rule.lastErrorAt)})` : ''}:{' '}
          <code>{rule.lastError}</code>. The other rules ran regardless. Saving a corrected condition or
          action clears this; so does the next run that succeeds.
        </p>
      )}
      <div className="grid-2">
        <RuleDefinitionForm
          draft={draft}
          onChange={change}
          problems={problems}
          saving={saving}
          isNew={!rule}
          onSubmit={submit}
        />
        <BacktestPanel
          ruleId={rule?.id ?? null}
          draft={() => {
            const parsed = parsedDraft();
            return parsed ? { ...parsed, cooldownSeconds: optionalNumber(draft.cooldown) } : null;
          }}
        />
      </div>
    </>
  );
}
