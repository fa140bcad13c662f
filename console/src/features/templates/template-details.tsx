import { useState } from 'react';
import { Link } from 'react-router';
import { QueryState } from '../../components/states';
import { PromptPreviewPanel } from './prompt-preview-panel';
import { VersionEditorLoader } from './template-version-editor';
import { TemplateVersions } from './template-versions';
import { useActivateTemplateVersion, useTemplate } from './use-templates';

// The page loads only the versions' summary: the query cost limit counts every nested field, and
// the editor loads the full fields of the one version it starts from (TemplateVersionQuery).

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
                <TemplateVersions
                  versions={versions}
                  activeId={activeId}
                  baseId={base?.id}
                  onActivate={(versionId) => void activate({ versionId })}
                  activating={activateState.fetching}
                  onEditFrom={setBaseId}
                />
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
