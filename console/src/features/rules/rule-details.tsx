import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import type { CombinedError } from 'urql';
import { describeError } from '../../api/errors';
import { EnabledBadge } from '../../components/badges';
import { QueryState } from '../../components/states';
import {
  useBacktestRule,
  useBacktestStreams,
  useCreateRule,
  useDeleteRule,
  useDisableRule,
  useEnableRule,
  useRule,
  useUpdateRule,
  type Backtest,
  type Rule,
} from './use-rules';
import { formatTime, fromLocalInput, toLocalInput } from '../../lib/format';
import {
  confirmAction,
  Field,
  FieldErrors,
  fieldProblems,
  JsonField,
  optionalNumber,
  OtherProblems,
  parseJsonObject,
  reportLocalJsonError,
} from '../../components/form-kit';
import { formatEditableJson } from '../../lib/format';

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

const RULE_PATHS = [
  'input.name',
  'input.priority',
  'input.cooldownSeconds',
  'input.condition',
  'input.action',
];

function RuleEditor({ rule, onSaved }: { rule: Rule | null; onSaved: () => void }) {
  const navigate = useNavigate();
  const start = rule ?? NEW_RULE;
  const [name, setName] = useState(start.name);
  const [priority, setPriority] = useState(String(start.priority));
  const [cooldown, setCooldown] = useState(String(start.cooldownSeconds));
  const [condition, setCondition] = useState(formatEditableJson(start.condition));
  const [action, setAction] = useState(formatEditableJson(start.action));
  const [createState, createRule] = useCreateRule();
  const [updateState, updateRule] = useUpdateRule();
  const [, enableRule] = useEnableRule();
  const [, disableRule] = useDisableRule();
  const [deleteState, deleteRule] = useDeleteRule();
  const saving = createState.fetching || updateState.fetching;
  const problems = fieldProblems(rule ? updateState.error : createState.error);

  /** The draft's condition and action, or null (with a toast) when either is not valid JSON. */
  function parsedDraft() {
    const parsedCondition = parseJsonObject(condition);
    if (parsedCondition.error !== undefined) {
      reportLocalJsonError('The condition', parsedCondition.error);
      return null;
    }
    const parsedAction = parseJsonObject(action);
    if (parsedAction.error !== undefined) {
      reportLocalJsonError('The action', parsedAction.error);
      return null;
    }
    return { condition: parsedCondition.value ?? {}, action: parsedAction.value ?? {} };
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    const draft = parsedDraft();
    if (!draft) return;
    const fields = {
      name: name.trim(),
      priority: optionalNumber(priority),
      cooldownSeconds: optionalNumber(cooldown),
      ...draft,
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
      <div className="grid-2">
        <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="rule-editor-title">
          <h2 id="rule-editor-title">Definition</h2>
          <div className="form-grid">
            <Field label="Rule name" path="input.name" problems={problems} className="span-2">
              <input value={name} onChange={(e) => setName(e.target.value)} required />
            </Field>
            <Field
              label="Priority"
              path="input.priority"
              problems={problems}
              hint="0 to 1000; higher runs first"
            >
              <input type="number" value={priority} onChange={(e) => setPriority(e.target.value)} />
            </Field>
            <Field
              label="Cooldown (seconds)"
              path="input.cooldownSeconds"
              problems={problems}
              hint="Firings within it join the same incident"
            >
              <input type="number" value={cooldown} onChange={(e) => setCooldown(e.target.value)} />
            </Field>
          </div>
          <JsonField
            label="Condition (JSON)"
            value={condition}
            onChange={setCondition}
            path="input.condition"
            problems={problems}
            rows={12}
            hint="In the rule language (see the README): object, action, anomaly, verdict, all, any, not, appears, persists, …"
          />
          <JsonField
            label="Action (JSON)"
            value={action}
            onChange={setAction}
            path="input.action"
            problems={problems}
            rows={5}
            hint='{"type": "review" | "alert" | "webhook" | "autoDismiss", …}'
          />
          <OtherProblems problems={problems} paths={RULE_PATHS} />
          <div className="toolbar">
            <button type="submit" className="primary" disabled={saving}>
              {saving ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}
            </button>
          </div>
        </form>
        <BacktestPanel
          ruleId={rule?.id ?? null}
          draft={() => {
            const parsed = parsedDraft();
            return parsed ? { ...parsed, cooldownSeconds: optionalNumber(cooldown) } : null;
          }}
        />
      </div>
    </>
  );
}

type Target = 'saved' | 'draft';

/** Runs the saved rule or the current draft over a stream's stored results (changes nothing). */
function BacktestPanel({
  ruleId,
  draft,
}: {
  ruleId: string | null;
  draft: () => {
    condition: Record<string, unknown>;
    action: Record<string, unknown>;
    cooldownSeconds?: number;
  } | null;
}) {
  const runBacktest = useBacktestRule();
  const { streams: streamList = [], fetching: streamsLoading, error: streamsError } = useBacktestStreams();
  const [streamId, setStreamId] = useState('');
  const [from, setFrom] = useState(() => toLocalInput(new Date(Date.now() - 3600_000)));
  const [to, setTo] = useState(() => toLocalInput(new Date(Date.now() + 60_000)));
  const [target, setTarget] = useState<Target>(ruleId ? 'saved' : 'draft');
  const [result, setResult] = useState<{ backtest: Backtest; target: Target; streamName: string } | null>(
    null,
  );
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState(false);
  const chosenStream = streamId || streamList[0]?.id || '';
  const problems = fieldProblems(error);
  const effectiveTarget: Target = ruleId ? target : 'draft';

  async function run(event: FormEvent) {
    event.preventDefault();
    let draftInput = null;
    if (effectiveTarget === 'draft') {
      draftInput = draft();
      if (!draftInput) return;
    }
    setBusy(true);
    const response = await runBacktest({
      input: {
        streamId: chosenStream,
        from: fromLocalInput(from),
        to: fromLocalInput(to),
        ...(effectiveTarget === 'saved' && ruleId ? { ruleId } : { draft: draftInput }),
      },
    });
    setBusy(false);
    setError(response.error ?? null);
    const backtest = response.data?.backtestRule;
    const streamName = streamList.find((stream) => stream.id === chosenStream)?.name ?? '';
    setResult(backtest ? { backtest, target: effectiveTarget, streamName } : null);
  }

  return (
    <section className="card" aria-labelledby="backtest-title">
      <h2 id="backtest-title">Backtest</h2>
      <p className="muted">
        What the rule would have fired on a stream’s stored results. Nothing is changed.
      </p>
      <form className="admin-form" onSubmit={run} noValidate aria-label="Backtest settings">
        <Field
          label="Stream"
          path="input.streamId"
          problems={problems}
          hint={
            streamsError
              ? `Streams could not be loaded: ${describeError(streamsError)}`
              : streamsLoading && streamList.length === 0
                ? 'Loading streams…'
                : streamList.length === 0
                  ? 'No streams yet'
                  : undefined
          }
        >
          <select value={chosenStream} onChange={(e) => setStreamId(e.target.value)}>
            {streamList.map((stream) => (
              <option key={stream.id} value={stream.id}>
                {stream.name} ({stream.status.toLowerCase()})
              </option>
            ))}
          </select>
        </Field>
        <div className="form-grid">
          <Field label="From" path="input.from" problems={problems}>
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </Field>
          <Field label="To" path="input.to" problems={problems}>
            <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </Field>
        </div>
        <fieldset>
          <legend>Rule to test</legend>
          <label className="inline">
            <input
              type="radio"
              name="backtest-target"
              value="saved"
              checked={effectiveTarget === 'saved'}
              disabled={!ruleId}
              onChange={() => setTarget('saved')}
            />
            The saved rule{!ruleId && ' (not saved yet)'}
          </label>
          <label className="inline">
            <input
              type="radio"
              name="backtest-target"
              value="draft"
              checked={effectiveTarget === 'draft'}
              onChange={() => setTarget('draft')}
            />
            The current draft (condition, action and cooldown as edited)
          </label>
        </fieldset>
        <FieldErrors problems={problems} path="input.draft" showPaths />
        <div className="toolbar">
          <button type="submit" className="primary" disabled={busy || !chosenStream}>
            {busy ? 'Running…' : 'Run backtest'}
          </button>
        </div>
      </form>
      <div
        role="region"
        aria-label="Backtest result"
        aria-live="polite"
        aria-busy={busy}
        className="backtest-result"
      >
        {error && (
          <p className="error-text" role="alert">
            Backtest failed: {describeError(error)}
          </p>
        )}
        {result ? (
          <BacktestResultView {...result} />
        ) : (
          !error && <p className="state empty">Choose a stream and a time range, then run the backtest.</p>
        )}
      </div>
    </section>
  );
}

function BacktestResultView({
  backtest: result,
  target,
  streamName,
}: {
  backtest: Backtest;
  target: Target;
  streamName: string;
}) {
  return (
    <>
      <p className="muted">
        {target === 'saved' ? 'The saved rule' : 'The draft'} on “{streamName}”:
      </p>
      <dl className="facts">
        <dt>Results evaluated</dt>
        <dd data-testid="backtest-evaluated">{result.evaluated}</dd>
        <dt>Firings</dt>
        <dd>{result.firings.length}</dd>
        <dt>Incidents</dt>
        <dd data-testid="backtest-incidents">{result.incidents}</dd>
      </dl>
      {result.firings.length === 0 ? (
        <p className="state empty">
          {result.evaluated === 0
            ? 'No stored results in this range: choose another stream or a wider range.'
            : 'The rule would not have fired on any of these results.'}
        </p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="group" aria-label="Firings">
          <table>
            <caption className="muted">Firings, oldest first</caption>
            <thead>
              <tr>
                <th scope="col">Window end</th>
                <th scope="col">Window</th>
                <th scope="col">Matched</th>
                <th scope="col">Incident</th>
              </tr>
            </thead>
            <tbody>
              {result.firings.map((firing) => (
                <tr key={firing.analysisId}>
                  <td className="nowrap">{formatTime(firing.endAt)}</td>
                  <td className="nowrap">
                    <code title={`window ${firing.windowId}, analysis ${firing.analysisId}`}>
                      …{firing.windowId.slice(-8)}
                    </code>
                  </td>
                  <td>{firing.matchedPaths.length ? firing.matchedPaths.join(', ') : '—'}</td>
                  <td>{firing.opensIncident ? 'new incident' : 'joins previous'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
