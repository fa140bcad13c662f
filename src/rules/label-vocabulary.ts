import { z } from 'zod';
import type { PrismaClient } from '../db/prisma-client';
import { badInput, type FieldProblem } from '../errors/domain-error';
import {
  closestLabels as closestKnownLabels,
  COCO_LABELS,
  COMMON_LABELS,
  normalizeLabel,
} from '../scene/object-labels';

export { normalizeLabel };

/**
 * The labels a tenant's rules and template gates may name: the 80 COCO classes the local detector
 * reports, plus the tenant's own (Tenant.customLabels, for what a model or another detector names).
 * A label outside it is almost always a typo that would make a rule silently never fire, so it is
 * refused where rules and gates are written, with the closest known label as a hint.
 */
export const MAX_CUSTOM_LABELS = 200;
export const MAX_CUSTOM_LABEL_LENGTH = 60;

export interface LabelVocabulary {
  /** Every known label, lower-case. */
  readonly labels: ReadonlySet<string>;
  /** The tenant's own labels, as stored. */
  readonly custom: readonly string[];
}

export function labelVocabulary(customLabels: readonly string[] = []): LabelVocabulary {
  return {
    labels: new Set([...COCO_LABELS, ...customLabels.map(normalizeLabel)]),
    custom: customLabels,
  };
}

/** Loads a tenant's vocabulary (platform client: Tenant is not a tenant-scoped model). */
export async function loadLabelVocabulary(
  prisma: Pick<PrismaClient, 'tenant'>,
  tenantId: string,
): Promise<LabelVocabulary> {
  const tenant = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { customLabels: true } });
  return labelVocabulary(tenant?.customLabels ?? []);
}

/** Reads a tenant's vocabulary; services get one from the composition root. */
export type VocabularyLoader = (tenantId: string) => Promise<LabelVocabulary>;

/** Known labels close to `label` in the vocabulary (at most three; empty when nothing is close). */
export function closestLabels(label: string, vocabulary: LabelVocabulary): string[] {
  return closestKnownLabels(label, vocabulary.labels);
}

/** Why `label` is refused, with the closest known label as a hint (or a few common ones). */
export function unknownLabelMessage(label: string, vocabulary: LabelVocabulary): string {
  const shown = JSON.stringify(label.slice(0, 40));
  const close = closestLabels(label, vocabulary);
  const quoted = close.map((known) => JSON.stringify(known));
  const hint = quoted.length
    ? `did you mean ${quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : quoted[0]}?`
    : `for example: ${COMMON_LABELS.join(', ')}; a label of your own must first be added to the tenant's custom labels`;
  return `${shown} is not a known label (the 80 COCO labels and the tenant's custom labels); ${hint}`;
}

/**
 * The problems of labels used somewhere (each with the path to report it at): one per label
 * outside the vocabulary, in the order given. Labels are compared normalised.
 */
export function labelProblems(
  labels: readonly { path: string; label: string }[],
  vocabulary: LabelVocabulary,
): FieldProblem[] {
  return labels
    .filter(({ label }) => !vocabulary.labels.has(normalizeLabel(label)))
    .map(({ path, label }) => ({ field: path, message: unknownLabelMessage(label, vocabulary) }));
}

/** A tenant's own labels as an admin sets them: normalised, distinct, none of them COCO's. */
export const customLabelsSchema = z
  .array(
    z
      .string()
      .transform(normalizeLabel)
      .pipe(
        z
          .string()
          .min(1, 'must not be empty')
          .max(MAX_CUSTOM_LABEL_LENGTH, `must be at most ${MAX_CUSTOM_LABEL_LENGTH} characters`)
          // eslint-disable-next-line no-control-regex
          .refine((label) => !/[\u0000-\u001f\u007f]/.test(label), 'must not contain control characters'),
      ),
  )
  .max(MAX_CUSTOM_LABELS, `must list at most ${MAX_CUSTOM_LABELS} labels`)
  .superRefine((labels, context) => {
    const seen = new Set<string>();
    const coco = new Set(COCO_LABELS);
    labels.forEach((label, index) => {
      if (coco.has(label)) {
        context.addIssue({ code: 'custom', path: [index], message: `"${label}" is a COCO label already` });
      } else if (seen.has(label)) {
        context.addIssue({ code: 'custom', path: [index], message: `"${label}" is listed twice` });
      }
      seen.add(label);
    });
  });

/**
 * Refuses (BAD_USER_INPUT, one problem per label at its path) labels outside the tenant's
 * vocabulary; reads the vocabulary only when there is a label to check.
 */
export async function assertKnownLabels(
  load: VocabularyLoader,
  tenantId: string,
  labels: readonly { path: string; label: string }[],
): Promise<void> {
  if (labels.length === 0) return;
  const problems = labelProblems(labels, await load(tenantId));
  if (problems.length) throw badInput(problems);
}
