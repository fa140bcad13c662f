import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { DataTable, RowAction } from '../../components/data-table';
import {
  useCreatePromptTemplate,
  useSetDefaultTemplate,
  useTemplateChoices,
  useTemplates,
} from './use-templates';
import { formatTime } from '../../lib/format';
import { Field, fieldProblems, FormActions } from '../../components/form-kit';

const DEFAULT_SYSTEM_TEXT =
  'You are a video moderation analyst. You receive consecutive frames from a fixed camera, oldest first, ' +
  'and answer with JSON that follows the given schema.';
const DEFAULT_INSTRUCTION_TEXT =
  'Describe the objects you see, the actions that happen, anything anomalous, and what led to what.';

const PATHS = [
  'input.name',
  'input.description',
  'input.version.systemText',
  'input.version.instructionText',
];

/** Prompt templates: the list and a form for a new one (its first version is active at once). */
export function TemplateList() {
  const navigate = useNavigate();
  const { templates: loaded, fetching, error, refresh } = useTemplates();
  const { defaultTemplateId, refresh: refreshDefault } = useTemplateChoices();
  const [defaultState, setDefault] = useSetDefaultTemplate(refreshDefault);
  const [state, create] = useCreatePromptTemplate();
  const [showForm, setShowForm] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [systemText, setSystemText] = useState(DEFAULT_SYSTEM_TEXT);
  const [instructionText, setInstructionText] = useState(DEFAULT_INSTRUCTION_TEXT);
  const problems = fieldProblems(state.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await create({
      input: { name: name.trim(), description, version: { systemText, instructionText } },
    });
    if (result) void navigate(`/admin/templates/${result.createPromptTemplate.id}`);
  }

  return (
    <section className="page admin-page" aria-labelledby="templates-title">
      <div className="toolbar">
        <h1 id="templates-title">Prompt templates</h1>
        <button type="button" onClick={() => setShowForm((shown) => !shown)} aria-expanded={showForm}>
          {showForm ? 'Close the form' : 'New template'}
        </button>
      </div>
      {showForm && (
        <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby="template-new-title">
          <h2 id="template-new-title">New template</h2>
          <p className="muted">
            The model, sampling and gate settings start at their defaults; change them in a new version on the
            template’s page.
          </p>
          <div className="form-grid">
            <Field label="Template name" path="input.name" problems={problems}>
              <input value={name} onChange={(e) => setName(e.target.value)} required />
            </Field>
            <Field label="Description" path="input.description" problems={problems} className="span-2">
              <input value={description} onChange={(e) => setDescription(e.target.value)} />
            </Field>
          </div>
          <Field
            label="System text"
            path="input.version.systemText"
            problems={problems}
            hint="Fixed text before the frames; no {{variables}} (it is the cached prefix)"
          >
            <textarea value={systemText} onChange={(e) => setSystemText(e.target.value)} rows={4} />
          </Field>
          <Field
            label="Instruction text"
            path="input.version.instructionText"
            problems={problems}
            hint="Sent after the frames; may name {{variables}}"
          >
            <textarea value={instructionText} onChange={(e) => setInstructionText(e.target.value)} rows={4} />
          </Field>
          <FormActions
            problems={problems}
            paths={PATHS}
            busy={state.fetching}
            busyLabel="Creating…"
            label="Create template"
          />
        </form>
      )}
      <DataTable
        rows={loaded}
        rowKey={(template) => template.id}
        query={{ fetching, error, retry: refresh }}
        empty="No templates yet. Create one to analyse streams with a model."
        columns={[
          {
            header: 'Name',
            cell: (template) => (
              <>
                <Link to={`/admin/templates/${template.id}`}>{template.name}</Link>
                {template.description && <div className="muted">{template.description}</div>}
              </>
            ),
          },
          {
            header: 'Active version',
            cell: (template) => (template.activeVersion ? `v${template.activeVersion.version}` : 'none'),
          },
          {
            header: 'Model',
            cell: ({ activeVersion: active }) =>
              active ? `${active.modelName} (${active.mode.toLowerCase()})` : '—',
          },
          { header: 'Updated', cell: (template) => formatTime(template.updatedAt) },
          {
            header: 'New streams',
            cell: (template) =>
              template.id === defaultTemplateId ? (
                <span className="badge">default</span>
              ) : (
                <RowAction
                  disabled={defaultState.fetching}
                  label={`Give new streams the template ${template.name}`}
                  onClick={() => void setDefault({ templateId: template.id })}
                >
                  Make default
                </RowAction>
              ),
          },
        ]}
      />
    </section>
  );
}
