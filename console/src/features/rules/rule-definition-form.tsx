import type { FormEvent } from 'react';
import { Field, FormActions, JsonField, type FieldProblem } from '../../components/form-kit';
import { RuleLanguageHelp } from './rule-language-help';

/** A rule's definition as typed: numbers and JSON as text, so a half-typed value stays as it is. */
export interface RuleDraft {
  name: string;
  priority: string;
  cooldown: string;
  condition: string;
  action: string;
}

const RULE_PATHS = [
  'input.name',
  'input.priority',
  'input.cooldownSeconds',
  'input.condition',
  'input.action',
];

/** A rule's name, priority, cooldown, condition and action, with the API's messages at each. */
export function RuleDefinitionForm({
  draft,
  onChange,
  problems,
  saving,
  isNew,
  onSubmit,
}: {
  draft: RuleDraft;
  onChange: (key: keyof RuleDraft, value: string) => void;
  problems: FieldProblem[];
  saving: boolean;
  isNew: boolean;
  onSubmit: (event: FormEvent) => void;
}) {
  return (
    <form className="card admin-form" onSubmit={onSubmit} noValidate aria-labelledby="rule-editor-title">
      <h2 id="rule-editor-title">Definition</h2>
      <div className="form-grid">
        <Field label="Rule name" path="input.name" problems={problems} className="span-2">
          <input value={draft.name} onChange={(e) => onChange('name', e.target.value)} required />
        </Field>
        <Field label="Priority" path="input.priority" problems={problems} hint="0 to 1000; higher runs first">
          <input
            type="number"
            value={draft.priority}
            onChange={(e) => onChange('priority', e.target.value)}
          />
        </Field>
        <Field
          label="Cooldown (seconds)"
          path="input.cooldownSeconds"
          problems={problems}
          hint="Firings within it join the same incident"
        >
          <input
            type="number"
            value={draft.cooldown}
            onChange={(e) => onChange('cooldown', e.target.value)}
          />
        </Field>
      </div>
      <JsonField
        label="Condition (JSON)"
        value={draft.condition}
        onChange={(text) => onChange('condition', text)}
        path="input.condition"
        problems={problems}
        rows={12}
        hint="In the rule language: object, event, track, action, anomaly, verdict, confidence, text, all, any, not, appears, disappears, persists, occurs (see below). Problems are shown at their path, e.g. condition.all.0.object.label."
      />
      <RuleLanguageHelp />
      <JsonField
        label="Action (JSON)"
        value={draft.action}
        onChange={(text) => onChange('action', text)}
        path="input.action"
        problems={problems}
        rows={5}
        hint='{"type": "review" | "alert" | "webhook" | "autoDismiss", …}'
      />
      <FormActions
        problems={problems}
        paths={RULE_PATHS}
        busy={saving}
        busyLabel="Saving…"
        label={isNew ? 'Create rule' : 'Save rule'}
      />
    </form>
  );
}
