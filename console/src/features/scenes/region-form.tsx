import { useId } from 'react';
import { Field, FieldErrors, type FieldProblem } from '../../components/form-kit';
import { DIRECTIONS, SEVERITIES, type DraftRegion } from './scene-draft';

/**
 * The selected zone's or line's settings. `path` is where the API names its problems
 * (`input.zones.1`); the shape's own problems (points, ends, id) are listed under the fields.
 */
export function RegionForm({
  region,
  path,
  problems,
  onChange,
  onDelete,
}: {
  region: DraftRegion;
  path: string;
  problems: FieldProblem[];
  onChange: (region: DraftRegion) => void;
  onDelete: () => void;
}) {
  const titleId = useId();
  const word = region.kind === 'zone' ? 'zone' : 'line';
  const set = (patch: Partial<DraftRegion>) => onChange({ ...region, ...patch } as DraftRegion);
  return (
    <section className="region-form admin-form" aria-labelledby={titleId}>
      <h3 id={titleId}>
        {region.kind === 'zone' ? 'Zone' : 'Line'}: {region.name || '(no name)'}
      </h3>
      <div className="form-grid">
        <Field label="Name" path={`${path}.name`} problems={problems}>
          <input value={region.name} maxLength={60} onChange={(e) => set({ name: e.target.value })} />
        </Field>
        <Field
          label="Objects"
          path={`${path}.labels`}
          problems={problems}
          hint="COCO labels, comma-separated (person, bicycle, car…); empty: every object"
        >
          <input value={region.labels} onChange={(e) => set({ labels: e.target.value })} />
        </Field>
        {region.kind === 'zone' ? (
          <>
            <Field
              label="Crowd at (objects at once)"
              path={`${path}.crowdAt`}
              problems={problems}
              hint="2 to 100; empty: no crowd events"
            >
              <input
                type="number"
                min={2}
                max={100}
                step={1}
                value={region.crowdAt}
                onChange={(e) => set({ crowdAt: e.target.value })}
              />
            </Field>
            <Field
              label="Loitering after (seconds)"
              path={`${path}.dwellSeconds`}
              problems={problems}
              hint="1 to 3600; empty: the analyser’s default"
            >
              <input
                type="number"
                min={1}
                max={3600}
                step={1}
                value={region.dwellSeconds}
                onChange={(e) => set({ dwellSeconds: e.target.value })}
              />
            </Field>
          </>
        ) : (
          <Field
            label="Allowed direction"
            path={`${path}.allowedDirection`}
            problems={problems}
            hint="Crossing the other way is a wrong-way event"
          >
            <select
              value={region.allowedDirection}
              onChange={(e) => set({ allowedDirection: e.target.value })}
            >
              {Object.entries(DIRECTIONS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Severity" path={`${path}.severity`} problems={problems}>
          <select value={region.severity} onChange={(e) => set({ severity: e.target.value })}>
            <option value="">Default for the event</option>
            {SEVERITIES.map((severity) => (
              <option key={severity} value={severity}>
                {severity}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {(['polygon', 'from', 'to', 'id'] as const).map((part) => (
        <FieldErrors key={part} problems={problems} path={`${path}.${part}`} showPaths />
      ))}
      <div className="toolbar">
        <button type="button" className="danger" onClick={onDelete}>
          Delete {word}
        </button>
      </div>
    </section>
  );
}
