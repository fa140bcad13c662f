import { cloneElement, useId, useRef, useState, type ReactElement, type ReactNode } from 'react';
import { toast } from 'sonner';

export { fieldProblems, type FieldProblem } from '../api/errors';
import type { FieldProblem } from '../api/errors';

// The console's form kit: labelled fields that show the API's messages for their input path
// (BAD_USER_INPUT `extensions.fields`), JSON text areas, number parsing, once-shown secrets and
// confirmation of destructive actions. Every form uses it, so every form reports problems alike.

/** The problems at `path` or anywhere below it (`input.gateObjects` also takes `input.gateObjects.3`). */
export function problemsAt(problems: FieldProblem[], path: string): FieldProblem[] {
  return problems.filter((problem) => problem.field === path || problem.field.startsWith(`${path}.`));
}

/** The problems that none of the `paths` shown in a form claims, to be listed above its buttons. */
export function unclaimedProblems(problems: FieldProblem[], paths: string[]): FieldProblem[] {
  return problems.filter((problem) => !paths.some((path) => problemsAt([problem], path).length > 0));
}

/**
 * The API's messages for one field, shown under it. With `showPaths`, each message names the
 * path below the field (for JSON fields: `condition.all.0.label: …`).
 */
export function FieldErrors({
  id,
  problems,
  path,
  showPaths = false,
}: {
  id?: string;
  problems: FieldProblem[];
  path: string;
  showPaths?: boolean;
}) {
  const mine = problemsAt(problems, path);
  if (mine.length === 0) return null;
  const prefix = path.includes('.') ? path.slice(0, path.lastIndexOf('.') + 1) : '';
  return (
    <ul id={id} className="field-error field-error-list" role="alert">
      {mine.map((problem, index) => (
        <li key={index}>
          {showPaths || problem.field !== path ? (
            <>
              <code>
                {problem.field.startsWith(prefix) ? problem.field.slice(prefix.length) : problem.field}
              </code>
              : {problem.message}
            </>
          ) : (
            problem.message
          )}
        </li>
      ))}
    </ul>
  );
}

/** Problems the form has no field for (or a whole-input problem), listed before its buttons. */
export function OtherProblems({ problems, paths }: { problems: FieldProblem[]; paths: string[] }) {
  const rest = unclaimedProblems(problems, paths);
  if (rest.length === 0) return null;
  return (
    <ul className="field-error field-error-list" role="alert">
      {rest.map((problem, index) => (
        <li key={index}>
          <code>{problem.field}</code>: {problem.message}
        </li>
      ))}
    </ul>
  );
}

/**
 * The end of a form: the problems no field claimed, then the submit button (disabled and
 * relabelled while the form is being sent) and any further actions beside it.
 */
export function FormActions({
  problems,
  paths,
  busy,
  label,
  busyLabel,
  children,
}: {
  problems: FieldProblem[];
  paths: string[];
  busy: boolean;
  label: string;
  busyLabel: string;
  children?: ReactNode;
}) {
  return (
    <>
      <OtherProblems problems={problems} paths={paths} />
      <div className="toolbar">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? busyLabel : label}
        </button>
        {children}
      </div>
    </>
  );
}

type ControlProps = {
  id?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
};

/**
 * A labelled control with the API's messages for `path` under it; the control is marked invalid
 * and described by the messages, so a screen reader reads them with the field.
 */
export function Field({
  label,
  path,
  problems,
  hint,
  className,
  children,
}: {
  label: ReactNode;
  path: string;
  problems: FieldProblem[];
  hint?: ReactNode;
  className?: string;
  children: ReactElement<ControlProps>;
}) {
  const errorId = useId();
  const hintId = useId();
  const invalid = problemsAt(problems, path).length > 0;
  const describedBy = [hint ? hintId : null, invalid ? errorId : null].filter(Boolean).join(' ');
  return (
    <div className={`field ${className ?? ''}`}>
      <label>
        {label}
        {cloneElement(children, {
          'aria-invalid': invalid || undefined,
          'aria-describedby': describedBy || undefined,
        })}
      </label>
      {hint && (
        <span id={hintId} className="muted field-hint">
          {hint}
        </span>
      )}
      <FieldErrors id={errorId} problems={problems} path={path} />
    </div>
  );
}

/** Parses JSON text typed into a form; `error` says where it is broken. */
export function parseJsonText(text: string): { value: unknown; error?: undefined } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    return { error: error instanceof Error ? error.message : 'not valid JSON' };
  }
}

/** Parses a JSON object typed into a form; an empty box is `undefined` when `optional`. */
export function parseJsonObject(
  text: string,
  optional = false,
): { value: Record<string, unknown> | undefined; error?: undefined } | { error: string } {
  if (optional && text.trim() === '') return { value: undefined };
  const parsed = parseJsonText(text);
  if (parsed.error !== undefined) return parsed;
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { error: 'must be a JSON object ({ … })' };
  return { value: value as Record<string, unknown> };
}

/**
 * A JSON text area that checks its text locally (the message appears as you type, once the text
 * was changed) and shows the API's messages for `path` and below, each with its path.
 */
export function JsonField({
  label,
  value,
  onChange,
  path,
  problems,
  rows = 8,
  optional = false,
  hint,
}: {
  label: string;
  value: string;
  onChange: (text: string) => void;
  path: string;
  problems: FieldProblem[];
  rows?: number;
  optional?: boolean;
  hint?: ReactNode;
}) {
  const localId = useId();
  const apiId = useId();
  const hintId = useId();
  const parsed = parseJsonObject(value, optional);
  const localError = parsed.error;
  const apiInvalid = problemsAt(problems, path).length > 0;
  const describedBy = [hint ? hintId : null, localError ? localId : null, apiInvalid ? apiId : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className="field">
      <label>
        {label}
        <textarea
          value={value}
          onChange={(event) => onChange(event.target.value)}
          rows={rows}
          spellCheck={false}
          aria-invalid={Boolean(localError) || apiInvalid || undefined}
          aria-describedby={describedBy || undefined}
        />
      </label>
      {hint && (
        <span id={hintId} className="muted field-hint">
          {hint}
        </span>
      )}
      {localError && (
        <span id={localId} className="field-error" role="alert">
          Not valid JSON: {localError}
        </span>
      )}
      <FieldErrors id={apiId} problems={problems} path={path} showPaths />
    </div>
  );
}

/** Tells the user their JSON must be fixed before anything is sent (no request is made). */
export function reportLocalJsonError(label: string, error: string): void {
  toast.error(`${label} is not valid JSON: ${error}. Nothing was sent.`);
}

/** A number input's value for the API: empty means "not given" (the API's default). */
export function optionalNumber(text: string): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * A secret the API shows only once (API key, signing secret, generated password): a clear
 * warning, the value in a read-only box and a copy button.
 */
export function SecretOnce({
  title,
  secret,
  onDismiss,
  children,
}: {
  title: string;
  secret: string;
  onDismiss: () => void;
  children?: ReactNode;
}) {
  const boxRef = useRef<HTMLInputElement>(null);
  const titleId = useId();
  const [copied, setCopied] = useState(false);

  async function copy() {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
    } catch {
      // Without the async clipboard API (plain http), fall back to selecting and copying.
      boxRef.current?.select();
      if (!document.execCommand('copy')) {
        toast.error('Could not copy: select the text and copy it yourself');
        return;
      }
    }
    setCopied(true);
    toast.success('Copied to the clipboard');
  }

  return (
    <section className="card secret-once" role="region" aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      <p className="secret-warning">
        <strong>Shown only once.</strong> Copy it now and store it safely: Vigil keeps no readable copy and
        cannot show it again.
      </p>
      {children}
      <div className="row secret-row">
        <input
          ref={boxRef}
          className="secret"
          readOnly
          value={secret}
          aria-label={title}
          onFocus={(event) => event.target.select()}
        />
        <button type="button" className="primary" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

/** window.confirm for destructive actions; a named function so every page asks the same way. */
export function confirmAction(message: string): boolean {
  return window.confirm(message);
}
