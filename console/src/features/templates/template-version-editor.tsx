import { useState, type ChangeEvent, type FormEvent } from 'react';
import {
  Field,
  FieldErrors,
  fieldProblems,
  FormActions,
  JsonField,
  parseJsonObject,
  reportLocalJsonError,
} from '../../components/form-kit';
import { QueryState } from '../../components/states';
import { useAddTemplateVersion, useTemplateVersion, type TemplateVersion } from './use-templates';
import { draftFrom, EDITOR_PATHS, versionInput, type Draft, type TextKey } from './version-draft';

/** Loads the version the editor starts from. */
export function VersionEditorLoader({
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
  base: TemplateVersion;
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
      input: versionInput(draft, schema.value),
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
            hint="Known labels (COCO or the tenant’s custom labels), comma-separated; a window goes to a GPU only if the local detector sees one. Empty: no object gate"
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
      <FormActions
        problems={problems}
        paths={EDITOR_PATHS}
        busy={state.fetching}
        busyLabel="Saving…"
        label="Save as new version"
      >
        <button type="button" onClick={() => setDraft(draftFrom(base))}>
          Reset to v{base.version}
        </button>
      </FormActions>
    </form>
  );
}
