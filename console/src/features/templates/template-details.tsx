import { useState, type ChangeEvent, type FormEvent } from 'react';
import { Link } from 'react-router';
import type { CombinedError } from 'urql';
import { describeError } from '../../api/errors';
import { QueryState } from '../../components/states';
import {
  useActivateTemplateVersion,
  useAddTemplateVersion,
  usePromptPreview,
  useTemplate,
  useTemplateVersion,
  type PromptPreview,
  type TemplateVersion,
  type TemplateVersionSummary,
} from './use-templates';
import { formatEnumValue, formatTime } from '../../lib/format';
import {
  Field,
  FieldErrors,
  fieldProblems,
  JsonField,
  optionalNumber,
  OtherProblems,
  parseJsonObject,
  reportLocalJsonError,
  type FieldProblem,
} from '../../components/form-kit';
import { formatEditableJson } from '../../lib/format';

// Only the versions' summary here: the query cost limit counts every nested field, and the editor
// loads the full fields of the one version it starts from (TemplateVersionQuery).
type Version = TemplateVersion;
type VersionSummary = TemplateVersionSummary;
type Preview = PromptPreview;

/** A template: its versions (which one is active), a new-version editor and a prompt preview. */
export function TemplateDetails({ templateId }: { templateId: string }) {
  const { template: loaded, fetching, error, refresh } = useTemplate(templateId);
  const [activateState, activate] = useActivateTemplateVersion(refresh);
  const [baseId, setBaseId] = useState<string | null>(null);

  return (
    <section className="page admin-page" aria-labelledby="template-title">
      <p>
        <Link to="/admin/templates">← All templates</Link>
      </p>
      <QueryState fetching={fetching} error={error} data={loaded} retry={refresh}>
        {(template) => {
          const versions = template.versions.edges
            .map((edge) => edge.node)
            .sort((a, b) => b.version - a.version);
          const activeId = template.activeVersion?.id;
          const base =
            versions.find((version) => version.id === baseId) ?? template.activeVersion ?? versions[0];
          return (
            <>
              <h1 id="template-title">Template: {template.name}</h1>
              {template.description && <p className="muted">{template.description}</p>}
              <section className="card" aria-labelledby="versions-title">
                <h2 id="versions-title">Versions</h2>
                {versions.length === 0 ? (
                  <p className="state empty">No versions.</p>
                ) : (
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Version</th>
                        <th scope="col">Status</th>
                        <th scope="col">Model</th>
                        <th scope="col">Created</th>
                        <th scope="col">Actions</th>
                      </tr>
                    </thead>
                    <tbody>
                      {versions.map((version) => (
                        <tr key={version.id} className={version.id === activeId ? 'active-row' : undefined}>
                          <th scope="row">v{version.version}</th>
                          <td>
                            {version.id === activeId ? (
                              <span className="badge status-ACTIVE">active</span>
                            ) : (
                              <span className="muted">inactive</span>
                            )}
                          </td>
                          <td>
                            {version.modelName} ({formatEnumValue(version.mode)})
                          </td>
                          <td>{formatTime(version.createdAt)}</td>
                          <td>
                            <div className="toolbar">
                              {version.id !== activeId && (
                                <button
                                  type="button"
                                  aria-label={`Activate version ${version.version}`}
                                  disabled={activateState.fetching}
                                  onClick={() => void activate({ versionId: version.id })}
                                >
                                  Activate
                                </button>
                              )}
                              <button
                                type="button"
                                aria-pressed={base?.id === version.id}
                                onClick={() => setBaseId(version.id)}
                              >
                                Edit from version {version.version}
                              </button>
                            </div>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <div className="grid-2">
                {base ? (
                  <VersionEditorLoader
                    key={base.id}
                    templateId={template.id}
                    versionId={base.id}
                    onSaved={refresh}
                  />
                ) : (
                  <p className="state empty">No version to start from.</p>
                )}
                <PromptPreviewPanel
                  versions={versions}
                  defaultVersionId={activeId ?? versions[0]?.id ?? ''}
                />
              </div>
            </>
          );
        }}
      </QueryState>
    </section>
  );
}

interface Draft {
  systemText: string;
  instructionText: string;
  resultSchema: string;
  modelName: string;
  mode: 'THINKING' | 'INSTRUCT';
  temperature: string;
  topP: string;
  topK: string;
  presencePenalty: string;
  maxCompletionTokens: string;
  thinkingTokenBudget: string;
  gateObjects: string;
  gateNsfw: boolean;
  gateMinConfidence: string;
  reanalyseDegraded: boolean;
}

type TextKey = Exclude<keyof Draft, 'mode' | 'gateNsfw' | 'reanalyseDegraded'>;

function draftFrom(version: Version): Draft {
  return {
    systemText: version.systemText,
    instructionText: version.instructionText,
    resultSchema: formatEditableJson(version.resultSchema),
    modelName: version.modelName,
    mode: version.mode,
    temperature: String(version.temperature),
    topP: String(version.topP),
    topK: String(version.topK),
    presencePenalty: String(version.presencePenalty),
    maxCompletionTokens: String(version.maxCompletionTokens),
    thinkingTokenBudget: String(version.thinkingTokenBudget),
    gateObjects: version.gateObjects.join(', '),
    gateNsfw: version.gateNsfw,
    gateMinConfidence: String(version.gateMinConfidence),
    reanalyseDegraded: version.reanalyseDegraded,
  };
}

const EDITOR_PATHS = [
  'input.systemText',
  'input.instructionText',
  'input.resultSchema',
  'input.modelName',
  'input.mode',
  'input.temperature',
  'input.topP',
  'input.topK',
  'input.presencePenalty',
  'input.maxCompletionTokens',
  'input.thinkingTokenBudget',
  'input.gateObjects',
  'input.gateNsfw',
  'input.gateMinConfidence',
  'input.reanalyseDegraded',
];

/** Loads the version the editor starts from. */
function VersionEditorLoader({
  templateId,
  versionId,
  onSaved,
}: {
  templateId: string;
  versionId: string;
  onSaved: () => void;
}) {
  const { version: loaded, fetching, error, retry } = useTemplateVersion(versionId);
  return (
    <div className="card">
      <QueryState fetching={fetching} error={error} data={loaded} retry={retry}>
        {(version) => <VersionEditor templateId={templateId} base={version} onSaved={onSaved} />}
      </QueryState>
    </div>
  );
}

/** The fields of a new version, starting from `base`; saving adds a version (it is not activated). */
function VersionEditor({
  templateId,
  base,
  onSaved,
}: {
  templateId: string;
  base: Version;
  onSaved: () => void;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftFrom(base));
  const [state, addVersion] = useAddTemplateVersion();
  const problems = fieldProblems(state.error);
  const set = <K extends keyof Draft>(key: K) => {
    return (value: Draft[K]) => setDraft((current) => ({ ...current, [key]: value }));
  };
  const text = (key: TextKey) => ({
    value: draft[key],
    onChange: (event: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
      setDraft((current) => ({ ...current, [key]: event.target.value })),
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    const schema = parseJsonObject(draft.resultSchema, true);
    if (schema.error !== undefined) {
      reportLocalJsonError('The result schema', schema.error);
      return;
    }
    const result = await addVersion({
      templateId,
      input: {
        systemText: draft.systemText,
        instructionText: draft.instructionText,
        resultSchema: schema.value,
        modelName: draft.modelName.trim() || undefined,
        mode: draft.mode,
        temperature: optionalNumber(draft.temperature),
        topP: optionalNumber(draft.topP),
        topK: optionalNumber(draft.topK),
        presencePenalty: optionalNumber(draft.presencePenalty),
        maxCompletionTokens: optionalNumber(draft.maxCompletionTokens),
        thinkingTokenBudget: optionalNumber(draft.thinkingTokenBudget),
        gateObjects: draft.gateObjects
          .split(',')
          .map((label) => label.trim())
          .filter(Boolean),
        gateNsfw: draft.gateNsfw,
        gateMinConfidence: optionalNumber(draft.gateMinConfidence),
        reanalyseDegraded: draft.reanalyseDegraded,
      },
    });
    if (result) onSaved();
  }

  return (
    <form className="admin-form" onSubmit={submit} noValidate aria-labelledby="version-editor-title">
      <h2 id="version-editor-title">New version</h2>
      <p className="muted">
        Starts from v{base.version}. Saving adds a new, immutable version; analyses keep using the active one
        until you activate it.
      </p>
      <Field
        label="System text"
        path="input.systemText"
        problems={problems}
        hint="Fixed text before the frames; no {{variables}} (it is the cached prefix)"
      >
        <textarea rows={5} {...text('systemText')} />
      </Field>
      <Field
        label="Instruction text"
        path="input.instructionText"
        problems={problems}
        hint="Sent after the frames; may name {{variables}}"
      >
        <textarea rows={5} {...text('instructionText')} />
      </Field>
      <JsonField
        label="Result schema (JSON)"
        value={draft.resultSchema}
        onChange={set('resultSchema')}
        path="input.resultSchema"
        problems={problems}
        rows={10}
        optional
        hint="Must define timestamp, objects, actions and anomalies; empty for the standard schema"
      />
      <fieldset>
        <legend>Model and sampling</legend>
        <div className="form-grid">
          <Field label="Model name" path="input.modelName" problems={problems}>
            <input {...text('modelName')} />
          </Field>
          <Field label="Mode" path="input.mode" problems={problems}>
            <select value={draft.mode} onChange={(e) => set('mode')(e.target.value as Draft['mode'])}>
              <option value="THINKING">Thinking (reasons first)</option>
              <option value="INSTRUCT">Instruct (answers directly)</option>
            </select>
          </Field>
          <Field label="Temperature" path="input.temperature" problems={problems}>
            <input type="number" step="0.05" {...text('temperature')} />
          </Field>
          <Field label="Top p" path="input.topP" problems={problems}>
            <input type="number" step="0.05" {...text('topP')} />
          </Field>
          <Field label="Top k" path="input.topK" problems={problems}>
            <input type="number" {...text('topK')} />
          </Field>
          <Field label="Presence penalty" path="input.presencePenalty" problems={problems}>
            <input type="number" step="0.1" {...text('presencePenalty')} />
          </Field>
          <Field label="Max completion tokens" path="input.maxCompletionTokens" problems={problems}>
            <input type="number" {...text('maxCompletionTokens')} />
          </Field>
          <Field label="Thinking token budget" path="input.thinkingTokenBudget" problems={problems}>
            <input type="number" {...text('thinkingTokenBudget')} />
          </Field>
        </div>
      </fieldset>
      <fieldset>
        <legend>Local gate</legend>
        <div className="form-grid">
          <Field
            label="Gate objects"
            path="input.gateObjects"
            problems={problems}
            hint="COCO labels, comma-separated; a window goes to a GPU only if one is seen. Empty: no object gate"
            className="span-2"
          >
            <input {...text('gateObjects')} placeholder="person, car" />
          </Field>
          <Field label="Gate min confidence" path="input.gateMinConfidence" problems={problems}>
            <input type="number" step="0.05" {...text('gateMinConfidence')} />
          </Field>
        </div>
        <label className="inline">
          <input
            type="checkbox"
            checked={draft.gateNsfw}
            onChange={(e) => set('gateNsfw')(e.target.checked)}
          />
          NSFW content also sends a window to a GPU
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={draft.reanalyseDegraded}
            onChange={(e) => set('reanalyseDegraded')(e.target.checked)}
          />
          Re-analyse degraded windows on a GPU when a node is back
        </label>
        <FieldErrors problems={problems} path="input.gateNsfw" />
        <FieldErrors problems={problems} path="input.reanalyseDegraded" />
      </fieldset>
      <OtherProblems problems={problems} paths={EDITOR_PATHS} />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={state.fetching}>
          {state.fetching ? 'Saving…' : 'Save as new version'}
        </button>
        <button type="button" onClick={() => setDraft(draftFrom(base))}>
          Reset to v{base.version}
        </button>
      </div>
    </form>
  );
}

/** Renders a saved version with sample variables, as the model would receive it. */
function PromptPreviewPanel({
  versions,
  defaultVersionId,
}: {
  versions: VersionSummary[];
  defaultVersionId: string;
}) {
  const renderPreview = usePromptPreview();
  // Follows the active version until the user picks one.
  const [versionId, setVersionId] = useState('');
  const [variables, setVariables] = useState('{}');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = versions.some((version) => version.id === versionId) ? versionId : defaultVersionId;
  const problems: FieldProblem[] = fieldProblems(error);

  async function run(event: FormEvent) {
    event.preventDefault();
    const parsed = parseJsonObject(variables, true);
    if (parsed.error !== undefined) {
      reportLocalJsonError('The variables', parsed.error);
      return;
    }
    setBusy(true);
    const result = await renderPreview({ versionId: chosen, variables: parsed.value ?? {} });
    setBusy(false);
    setError(result.error ?? null);
    setPreview(result.data?.promptPreview ?? null);
  }

  return (
    <section className="card" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <form className="admin-form" onSubmit={run} noValidate aria-label="Preview the rendered prompt">
        <label>
          Version to preview
          <select value={chosen} onChange={(e) => setVersionId(e.target.value)}>
            {versions.map((version) => (
              <option key={version.id} value={version.id}>
                v{version.version}
              </option>
            ))}
          </select>
        </label>
        <JsonField
          label="Variables (JSON)"
          value={variables}
          onChange={setVariables}
          path="variables"
          problems={problems}
          rows={4}
          optional
          hint='String values for the {{variables}} the instruction names, e.g. {"zone": "lawn"}'
        />
        <div className="toolbar">
          <button type="submit" disabled={busy || !chosen}>
            {busy ? 'Rendering…' : 'Preview'}
          </button>
        </div>
      </form>
      <div role="region" aria-label="Rendered prompt" aria-live="polite" aria-busy={busy}>
        {error && problems.length === 0 && (
          <p className="error-text" role="alert">
            Could not render: {describeError(error)}
          </p>
        )}
        {preview ? (
          <div className="preview">
            <h3>System text</h3>
            <pre className="prompt-text">{preview.systemText}</pre>
            <p className="muted">…then the window’s frames…</p>
            <h3>Instruction text</h3>
            <pre className="prompt-text">{preview.instructionText}</pre>
            <dl className="facts">
              <dt>Variables</dt>
              <dd>{preview.variables.length ? preview.variables.join(', ') : 'none'}</dd>
              <dt>Missing</dt>
              <dd className={preview.missingVariables.length ? 'error-text' : undefined}>
                {preview.missingVariables.length ? preview.missingVariables.join(', ') : 'none'}
              </dd>
              <dt>Unused</dt>
              <dd>{preview.unusedVariables.length ? preview.unusedVariables.join(', ') : 'none'}</dd>
            </dl>
          </div>
        ) : (
          !error && <p className="state empty">Choose a version and press Preview to see the prompt.</p>
        )}
      </div>
    </section>
  );
}
