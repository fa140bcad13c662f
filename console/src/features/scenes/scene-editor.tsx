import { useEffect, useMemo, useState } from 'react';
import { toast } from 'sonner';
import { describeError, errorReason, fieldProblems } from '../../api/errors';
import { confirmAction, OtherProblems, type FieldProblem } from '../../components/form-kit';
import { useKeyboardShortcuts } from '../../hooks/use-keyboard-shortcuts';
import { formatTime } from '../../lib/format';
import { RegionForm } from './region-form';
import { SceneCanvas, type SceneFrame } from './scene-canvas';
import {
  canClose,
  draftOf,
  type DraftRegion,
  type Drawing,
  isChanged,
  localProblems,
  movePoint,
  nextName,
  regionFrom,
  type Scene,
  sceneInput,
} from './scene-draft';
import { colourOf } from './scene-shapes';
import { useSaveStreamScene } from './use-stream-scene';

const MAX_REGIONS = 20;

/** An API problem tied to the region it is about, so it stays with it when others are added or removed. */
interface KeptProblem {
  key: string | null;
  /** The rest of the path below the region (`.polygon.3.x`), or the whole path for the scene. */
  rest: string;
  message: string;
}

/**
 * The admin's editor of a stream's zones and lines over its newest frame: draw zones (click the
 * points, close on the first point or Enter) and lines (two clicks), drag points, edit the selected
 * region's settings, then save the whole scene as the next version or discard the changes.
 */
export function SceneEditor({
  streamId,
  scene,
  frame,
  onSaved,
  onConflict,
}: {
  streamId: string;
  scene: Scene;
  frame: SceneFrame | null;
  onSaved: () => void;
  /** Another save came first: the API's message, for the page to show while it loads that version. */
  onConflict: (message: string) => void;
}) {
  const [regions, setRegions] = useState<DraftRegion[]>(() => draftOf(scene));
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const [drawing, setDrawing] = useState<Drawing | null>(null);
  const [kept, setKept] = useState<KeptProblem[]>([]);
  const { saving, save } = useSaveStreamScene();
  const changed = useMemo(() => isChanged(scene, regions), [scene, regions]);

  const { paths } = sceneInput(streamId, scene.version, regions);
  const problems: FieldProblem[] = [
    ...kept.flatMap((problem) => {
      if (problem.key === null) return [{ field: problem.rest, message: problem.message }];
      const path = paths.get(problem.key);
      return path ? [{ field: `${path}${problem.rest}`, message: problem.message }] : [];
    }),
    ...localProblems(regions, paths),
  ];
  const invalidKeys = new Set(
    regions
      .filter((region) => problems.some((problem) => problem.field.startsWith(`${paths.get(region.key)}.`)))
      .map((region) => region.key),
  );
  const selected = regions.find((region) => region.key === selectedKey) ?? null;

  // Leaving the page (reload, closing the tab) with unsaved changes asks first.
  useEffect(() => {
    if (!changed) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [changed]);

  function finish(current: Drawing) {
    const region = regionFrom(current, nextName(regions, current.kind));
    setRegions((list) => [...list, region]);
    setSelectedKey(region.key);
    setDrawing(null);
  }

  function addPoint(point: { x: number; y: number }) {
    if (!drawing) return;
    const next: Drawing = { ...drawing, points: [...drawing.points, point] };
    if (next.kind === 'line' && next.points.length === 2) finish(next);
    else setDrawing(next);
  }

  useKeyboardShortcuts(
    drawing
      ? {
          Enter: () => canClose(drawing) && finish(drawing),
          Escape: () => setDrawing(null),
        }
      : selectedKey
        ? { Escape: () => setSelectedKey(null) }
        : {},
  );

  function change(region: DraftRegion) {
    setRegions((list) => list.map((old) => (old.key === region.key ? region : old)));
  }

  function remove(key: string) {
    setRegions((list) => list.filter((region) => region.key !== key));
    setSelectedKey(null);
  }

  function discard() {
    if (!confirmAction('Discard your changes to the zones and lines?')) return;
    setRegions(draftOf(scene));
    setSelectedKey(null);
    setDrawing(null);
    setKept([]);
  }

  async function submit() {
    const { input, paths: sentPaths } = sceneInput(streamId, scene.version, regions);
    if (localProblems(regions, sentPaths).length > 0) {
      toast.error('Fix the fields marked in red first; nothing was sent.');
      return;
    }
    const result = await save(input);
    if (result.error || !result.data) {
      if (errorReason(result.error) === 'STALE_VERSION') {
        toast.error('Someone else saved the zones and lines first; their version is loaded now.');
        onConflict(result.error?.graphQLErrors[0]?.message ?? describeError(result.error));
        return;
      }
      const keyOf = new Map([...sentPaths].map(([key, path]) => [path, key]));
      const found = fieldProblems(result.error);
      setKept(
        found.map((problem) => {
          const [, region] = /^(input\.(?:zones|lines)\.\d+)(?:\.|$)/.exec(problem.field) ?? [];
          const key = region ? keyOf.get(region) : undefined;
          return key
            ? { key, rest: problem.field.slice(region!.length), message: problem.message }
            : { key: null, rest: problem.field, message: problem.message };
        }),
      );
      toast.error(
        found.length > 0
          ? 'Not saved: fix the problems marked in red'
          : describeError(result.error) || 'The zones and lines were not saved',
      );
      return;
    }
    toast.success(`Zones and lines saved as version ${result.data.saveStreamScene.version}`);
    setKept([]);
    onSaved();
  }

  const full = regions.length >= MAX_REGIONS;
  const instructions = drawing
    ? drawing.kind === 'zone'
      ? `Click to add the zone’s points (${drawing.points.length} so far). Click the first point or press Enter to close it (at least 3 points); Escape cancels.`
      : drawing.points.length === 0
        ? 'Click where the line starts (A); Escape cancels.'
        : 'Click where the line ends (B); Escape cancels.'
    : regions.length === 0
      ? 'No zones or lines yet: add a zone or a line and draw it on the picture.'
      : 'Select a zone or line (on the picture or in the list) to edit it; drag its points to move them.';

  return (
    <div className="scene-editor">
      <div className="toolbar" role="toolbar" aria-label="Zones and lines">
        <button
          type="button"
          onClick={() => {
            setSelectedKey(null);
            setDrawing({ kind: 'zone', points: [] });
          }}
          disabled={drawing !== null || full}
        >
          Add zone
        </button>
        <button
          type="button"
          onClick={() => {
            setSelectedKey(null);
            setDrawing({ kind: 'line', points: [] });
          }}
          disabled={drawing !== null || full}
        >
          Add line
        </button>
        <button type="button" className="primary" onClick={() => void submit()} disabled={!changed || saving}>
          {saving ? 'Saving…' : 'Save'}
        </button>
        <button type="button" onClick={discard} disabled={!changed || saving}>
          Discard changes
        </button>
        {changed ? (
          <span className="badge unsaved" role="status">
            Unsaved changes
          </span>
        ) : (
          <span className="muted" role="status">
            {scene.version === 0
              ? 'Nothing saved yet'
              : `Version ${scene.version}, saved ${formatTime(scene.savedAt)}${scene.savedBy ? ` by ${scene.savedBy}` : ''}`}
          </span>
        )}
      </div>
      <p className="muted scene-instructions" aria-live="polite">
        {instructions}
        {full && ' A scene has at most 20 zones and lines.'}
      </p>
      <div className="scene-layout">
        <SceneCanvas
          frame={frame}
          regions={regions}
          selectedKey={selectedKey}
          invalidKeys={invalidKeys}
          drawing={drawing}
          label="Zones and lines over the stream’s newest frame"
          edit={{
            onSelect: setSelectedKey,
            onAddPoint: addPoint,
            onClose: () => drawing && canClose(drawing) && finish(drawing),
            onMovePoint: (key, handle, point) => {
              const region = regions.find((candidate) => candidate.key === key);
              if (region) change(movePoint(region, handle, point));
            },
          }}
        />
        <div className="column">
          {regions.length > 0 && (
            <ul className="region-list" aria-label="Zones and lines">
              {regions.map((region, index) => (
                <li key={region.key}>
                  <button
                    type="button"
                    aria-pressed={region.key === selectedKey}
                    onClick={() => setSelectedKey(region.key === selectedKey ? null : region.key)}
                    disabled={drawing !== null}
                  >
                    <span className="swatch" style={{ background: colourOf(index) }} aria-hidden="true" />
                    {region.name || '(no name)'}{' '}
                    <span className="muted">{region.kind === 'zone' ? 'zone' : 'line'}</span>
                    {invalidKeys.has(region.key) && <span className="error-text"> · has problems</span>}
                  </button>
                </li>
              ))}
            </ul>
          )}
          {invalidKeys.size > 0 && (
            <p className="error-text" role="alert">
              The regions marked in red have problems: select them to see what to fix.
            </p>
          )}
          {selected ? (
            <RegionForm
              key={selected.key}
              region={selected}
              path={paths.get(selected.key)!}
              problems={problems}
              onChange={change}
              onDelete={() => remove(selected.key)}
            />
          ) : null}
          <OtherProblems problems={problems} paths={[...paths.values()]} />
        </div>
      </div>
    </div>
  );
}
