import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useTemplateChoices } from '../templates/use-templates';
import { useCreateStream } from './use-create-stream';
import { Field, fieldProblems, FormActions, optionalNumber } from '../../components/form-kit';

const KINDS = ['RTSP', 'HLS', 'HTTP', 'FILE'] as const;
type Kind = (typeof KINDS)[number];

const PATHS = [
  'input.name',
  'input.kind',
  'input.sourceUrl',
  'input.fps',
  'input.windowSize',
  'input.windowStride',
  'input.ssimThreshold',
  'input.maxWidth',
  'input.templateId',
  'input.start',
];

/** What the template select holds before the user picks: the tenant's default template. */
const DEFAULT_TEMPLATE = 'default';

/**
 * Registers a stream, with the tenant's default template and started at once unless the user says
 * otherwise, and opens its page.
 */
export function StreamForm({ labelledBy }: { labelledBy: string }) {
  const navigate = useNavigate();
  const {
    templates,
    defaultTemplateId,
    fetching: templatesLoading,
    error: templatesError,
  } = useTemplateChoices();
  const [state, create] = useCreateStream();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<Kind | ''>('');
  const [sourceUrl, setSourceUrl] = useState('');
  const [fps, setFps] = useState('2');
  const [windowSize, setWindowSize] = useState('8');
  const [windowStride, setWindowStride] = useState('4');
  const [ssimThreshold, setSsimThreshold] = useState('0.95');
  const [maxWidth, setMaxWidth] = useState('448');
  // DEFAULT_TEMPLATE until the user picks one ('' is "none"), so the default shows once loaded.
  const [templateChoice, setTemplateChoice] = useState(DEFAULT_TEMPLATE);
  const templateId = templateChoice === DEFAULT_TEMPLATE ? (defaultTemplateId ?? '') : templateChoice;
  const [start, setStart] = useState(true);
  const problems = fieldProblems(state.error);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await create({
      input: {
        name: name.trim(),
        sourceUrl: sourceUrl.trim(),
        kind: kind || undefined,
        fps: optionalNumber(fps),
        windowSize: optionalNumber(windowSize),
        windowStride: optionalNumber(windowStride),
        ssimThreshold: optionalNumber(ssimThreshold),
        maxWidth: optionalNumber(maxWidth),
        // null: no template, as chosen; the API gives an omitted one the tenant's default.
        templateId: templateId || null,
        start,
      },
    });
    if (result) void navigate(`/streams/${result.createStream.id}`);
  }

  const templateOptions = templates ?? [];
  return (
    <form className="card admin-form" onSubmit={submit} noValidate aria-labelledby={labelledBy}>
      <div className="form-grid">
        <Field label="Name" path="input.name" problems={problems}>
          <input value={name} onChange={(e) => setName(e.target.value)} required />
        </Field>
        <Field
          label="Source URL"
          path="input.sourceUrl"
          problems={problems}
          hint="rtsp://, rtsps://, http(s):// (progressive or HLS .m3u8); file:// if the operator allows it"
          className="span-2"
        >
          <input
            value={sourceUrl}
            onChange={(e) => setSourceUrl(e.target.value)}
            required
            placeholder="rtsp://camera.example/stream"
          />
        </Field>
        <Field label="Kind" path="input.kind" problems={problems}>
          <select value={kind} onChange={(e) => setKind(e.target.value as Kind | '')}>
            <option value="">From the URL</option>
            {KINDS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Frames per second" path="input.fps" problems={problems} hint="0.2 to 5">
          <input type="number" step="0.1" value={fps} onChange={(e) => setFps(e.target.value)} />
        </Field>
        <Field label="Window size (frames)" path="input.windowSize" problems={problems} hint="1 to 32">
          <input type="number" value={windowSize} onChange={(e) => setWindowSize(e.target.value)} />
        </Field>
        <Field
          label="Window stride (frames)"
          path="input.windowStride"
          problems={problems}
          hint="Frames between window starts; below the size, windows overlap"
        >
          <input type="number" value={windowStride} onChange={(e) => setWindowStride(e.target.value)} />
        </Field>
        <Field
          label="SSIM threshold"
          path="input.ssimThreshold"
          problems={problems}
          hint="Frames at least this similar to the last kept one are skipped (0 to 1)"
        >
          <input
            type="number"
            step="0.01"
            value={ssimThreshold}
            onChange={(e) => setSsimThreshold(e.target.value)}
          />
        </Field>
        <Field
          label="Max width (px)"
          path="input.maxWidth"
          problems={problems}
          hint="Longest side of a sampled frame, a multiple of 32"
        >
          <input type="number" step="32" value={maxWidth} onChange={(e) => setMaxWidth(e.target.value)} />
        </Field>
        <Field
          label="Prompt template"
          path="input.templateId"
          problems={problems}
          hint={
            templatesError
              ? 'Templates could not be loaded'
              : templatesLoading && !templates
                ? 'Loading templates…'
                : undefined
          }
        >
          <select value={templateId} onChange={(e) => setTemplateChoice(e.target.value)}>
            <option value="">None (windows are not analysed)</option>
            {templateOptions.map((template) => (
              <option key={template.id} value={template.id}>
                {template.name}
                {template.id === defaultTemplateId ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <label className="inline">
        <input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} />
        Start now <span className="muted">(sampling begins as soon as the stream is created)</span>
      </label>
      <FormActions
        problems={problems}
        paths={PATHS}
        busy={state.fetching}
        busyLabel="Creating…"
        label="Create stream"
      >
        <Link to="/streams">Cancel</Link>
      </FormActions>
    </form>
  );
}
