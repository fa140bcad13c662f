import { DataTable, RowAction, RowActions } from '../../components/data-table';
import { formatEnumValue, formatTime } from '../../lib/format';
import type { TemplateVersionSummary } from './use-templates';

/** A template's versions, newest first: which is active, activating one, editing from one. */
export function TemplateVersions({
  versions,
  activeId,
  baseId,
  onActivate,
  activating,
  onEditFrom,
}: {
  versions: TemplateVersionSummary[];
  activeId: string | undefined;
  /** The version the editor starts from. */
  baseId: string | undefined;
  onActivate: (versionId: string) => void;
  activating: boolean;
  onEditFrom: (versionId: string) => void;
}) {
  return (
    <DataTable
      rows={versions}
      rowKey={(version) => version.id}
      rowAttributes={(version) => ({ className: version.id === activeId ? 'active-row' : undefined })}
      empty="No versions."
      columns={[
        { header: 'Version', rowHeader: true, cell: (version) => `v${version.version}` },
        {
          header: 'Status',
          cell: (version) =>
            version.id === activeId ? (
              <span className="badge status-ACTIVE">active</span>
            ) : (
              <span className="muted">inactive</span>
            ),
        },
        {
          header: 'Model',
          cell: (version) => `${version.modelName} (${formatEnumValue(version.mode)})`,
        },
        { header: 'Created', cell: (version) => formatTime(version.createdAt) },
        {
          header: 'Actions',
          cell: (version) => (
            <RowActions>
              {version.id !== activeId && (
                <RowAction
                  label={`Activate version ${version.version}`}
                  disabled={activating}
                  onClick={() => onActivate(version.id)}
                >
                  Activate
                </RowAction>
              )}
              <RowAction pressed={baseId === version.id} onClick={() => onEditFrom(version.id)}>
                Edit from version {version.version}
              </RowAction>
            </RowActions>
          ),
        },
      ]}
    />
  );
}
