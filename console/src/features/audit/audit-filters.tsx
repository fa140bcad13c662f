import type { FormEvent } from 'react';
import type { CombinedError } from 'urql';
import { fieldProblems } from '../../api/errors';
import { toLocalInput } from '../../lib/format';

/** The filters, as kept in the URL (from/to as ISO instants). */
export const FILTER_KEYS = ['action', 'entityType', 'entityId', 'actorId', 'from', 'to'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Record<FilterKey, string>;

const ENTITY_TYPES = [
  'ApiKey',
  'Incident',
  'InferenceNode',
  'PromptTemplate',
  'PromptTemplateVersion',
  'ReviewItem',
  'ReviewQueue',
  'Rule',
  'Session',
  'Stream',
  'Tenant',
  'User',
  'WebhookDelivery',
  'WebhookEndpoint',
];

export function filtersOf(params: URLSearchParams): Filters {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ''])) as Filters;
}

/** The form's fields for applied filters: from/to as local date-times for the inputs. */
export function draftOf(applied: Filters): Filters {
  return {
    ...applied,
    from: applied.from ? toLocalInput(applied.from) : '',
    to: applied.to ? toLocalInput(applied.to) : '',
  };
}

/** The API's per-field messages (BAD_USER_INPUT `extensions.fields`), keyed by filter name. */
export function fieldErrorsOf(error: CombinedError | null): Partial<Record<FilterKey, string>> {
  const result: Partial<Record<FilterKey, string>> = {};
  for (const { field, message } of fieldProblems(error)) {
    const name = field.split('.').pop() as FilterKey;
    if (FILTER_KEYS.includes(name)) result[name] = message;
  }
  return result;
}

/**
 * The filter form. Its fields edit `draft` (from/to as local date-times); applying puts them in
 * the URL. Each field shows the API's message for it, if any.
 */
export function AuditFilters({
  draft,
  onDraftChange,
  fieldErrors,
  actions,
  filtered,
  onApply,
  onClear,
}: {
  draft: Filters;
  onDraftChange: (key: FilterKey, value: string) => void;
  fieldErrors: Partial<Record<FilterKey, string>>;
  /** The actions seen in the log so far, offered as suggestions. */
  actions: string[];
  filtered: boolean;
  onApply: (event: FormEvent) => void;
  onClear: () => void;
}) {
  const field = (key: FilterKey) => ({
    value: draft[key],
    onChange: (event: { target: { value: string } }) => onDraftChange(key, event.target.value),
    'aria-invalid': fieldErrors[key] ? true : undefined,
    'aria-describedby': fieldErrors[key] ? `audit-filter-${key}-error` : undefined,
  });
  const fieldError = (key: FilterKey) =>
    fieldErrors[key] ? (
      <span className="field-error" id={`audit-filter-${key}-error`}>
        {fieldErrors[key]}
      </span>
    ) : null;

  return (
    <form className="card audit-filters" aria-labelledby="audit-filters-title" onSubmit={onApply} noValidate>
      <h2 id="audit-filters-title">Filters</h2>
      <div className="row">
        <label>
          Action
          <input type="text" list="audit-actions" placeholder="e.g. reviewItem.decide" {...field('action')} />
          {fieldError('action')}
        </label>
        <label>
          Entity type
          <input
            type="text"
            list="audit-entity-types"
            placeholder="e.g. ReviewItem"
            {...field('entityType')}
          />
          {fieldError('entityType')}
        </label>
        <label>
          Entity id
          <input type="text" className="mono" {...field('entityId')} />
          {fieldError('entityId')}
        </label>
        <label>
          Actor id
          <input type="text" className="mono" placeholder="user or API key id" {...field('actorId')} />
          {fieldError('actorId')}
        </label>
        <label>
          From
          <input type="datetime-local" {...field('from')} />
          {fieldError('from')}
        </label>
        <label>
          To
          <input type="datetime-local" {...field('to')} />
          {fieldError('to')}
        </label>
        <div className="toolbar">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={onClear} disabled={!filtered}>
            Clear filters
          </button>
        </div>
      </div>
      <datalist id="audit-entity-types">
        {ENTITY_TYPES.map((type) => (
          <option key={type} value={type} />
        ))}
      </datalist>
      <datalist id="audit-actions">
        {actions.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
    </form>
  );
}
