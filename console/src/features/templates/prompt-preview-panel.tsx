import { useState, type FormEvent } from 'react';
import type { CombinedError } from 'urql';
import { describeError } from '../../api/errors';
import { Fact, Facts } from '../../components/facts';
import {
  fieldProblems,
  JsonField,
  parseJsonObject,
  reportLocalJsonError,
  type FieldProblem,
} from '../../components/form-kit';
import {
  usePreviewStreams,
  usePromptPreview,
  type PromptPreview,
  type TemplateVersionSummary,
} from './use-templates';

/**
 * Renders a saved version as the model would receive it: Vigil fills {{streamName}} (the chosen
 * stream's name, or a sample) and {{policy}} (the tenant's policy); the user gives the others.
 */
export function PromptPreviewPanel({
  versions,
  defaultVersionId,
}: {
  versions: TemplateVersionSummary[];
  defaultVersionId: string;
}) {
  const renderPreview = usePromptPreview();
  // Follows the active version until the user picks one.
  const [versionId, setVersionId] = useState('');
  const [variables, setVariables] = useState('{}');
  const streams = usePreviewStreams();
  const [streamId, setStreamId] = useState('');
  const [preview, setPreview] = useState<PromptPreview | null>(null);
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
    const result = await renderPreview({
      versionId: chosen,
      variables: parsed.value ?? {},
      streamId: streamId || null,
    });
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
        <label>
          Stream (for {'{{streamName}}'})
          <select value={streamId} onChange={(e) => setStreamId(e.target.value)}>
            <option value="">A sample stream</option>
            {streams.map((stream) => (
              <option key={stream.id} value={stream.id}>
                {stream.name}
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
          hint='Values for other {{variables}} the instruction names, e.g. {"zone": "lawn"}; Vigil fills {{streamName}} and {{policy}} (the tenant’s policy) itself'
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
            <Facts>
              <Fact label="Variables">
                {preview.variables.length ? preview.variables.join(', ') : 'none'}
              </Fact>
              <Fact label="Filled by Vigil">
                {preview.filledByVigil.length ? preview.filledByVigil.join(', ') : 'none'}
              </Fact>
              <Fact label="Missing" className={preview.missingVariables.length ? 'error-text' : undefined}>
                {preview.missingVariables.length ? preview.missingVariables.join(', ') : 'none'}
              </Fact>
              <Fact label="Unused">
                {preview.unusedVariables.length ? preview.unusedVariables.join(', ') : 'none'}
              </Fact>
            </Facts>
          </div>
        ) : (
          !error && <p className="state empty">Choose a version and press Preview to see the prompt.</p>
        )}
      </div>
    </section>
  );
}
