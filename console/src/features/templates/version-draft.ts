import { optionalNumber } from '../../components/form-kit';
import { formatEditableJson } from '../../lib/format';
import type { TemplateVersion } from './use-templates';

/** A new version's fields as typed: text for numbers and JSON, so a half-typed value stays as it is. */
export interface Draft {
  systemText: string;
  instructionText: string;
  resultSchema: string;
  modelName: string;
  mode: 'THINKING' | 'INSTRUCT';
  temperature: string;
  topP: string;
  topK: string;
  presencePenalty: string;
  maxCompletionTokens: string;
  thinkingTokenBudget: string;
  gateObjects: string;
  gateNsfw: boolean;
  gateMinConfidence: string;
  reanalyseDegraded: boolean;
}

export type TextKey = Exclude<keyof Draft, 'mode' | 'gateNsfw' | 'reanalyseDegraded'>;

/** The draft a version starts from: its own values. */
export function draftFrom(version: TemplateVersion): Draft {
  return {
    systemText: version.systemText,
    instructionText: version.instructionText,
    resultSchema: formatEditableJson(version.resultSchema),
    modelName: version.modelName,
    mode: version.mode,
    temperature: String(version.temperature),
    topP: String(version.topP),
    topK: String(version.topK),
    presencePenalty: String(version.presencePenalty),
    maxCompletionTokens: String(version.maxCompletionTokens),
    thinkingTokenBudget: String(version.thinkingTokenBudget),
    gateObjects: version.gateObjects.join(', '),
    gateNsfw: version.gateNsfw,
    gateMinConfidence: String(version.gateMinConfidence),
    reanalyseDegraded: version.reanalyseDegraded,
  };
}

/** The input paths the editor has a field for; the API's other messages are listed above its buttons. */
export const EDITOR_PATHS = [
  'input.systemText',
  'input.instructionText',
  'input.resultSchema',
  'input.modelName',
  'input.mode',
  'input.temperature',
  'input.topP',
  'input.topK',
  'input.presencePenalty',
  'input.maxCompletionTokens',
  'input.thinkingTokenBudget',
  'input.gateObjects',
  'input.gateNsfw',
  'input.gateMinConfidence',
  'input.reanalyseDegraded',
];

/** The version input for the API; `resultSchema` is the parsed schema box (undefined: the standard one). */
export function versionInput(draft: Draft, resultSchema: Record<string, unknown> | undefined) {
  return {
    systemText: draft.systemText,
    instructionText: draft.instructionText,
    resultSchema,
    modelName: draft.modelName.trim() || undefined,
    mode: draft.mode,
    temperature: optionalNumber(draft.temperature),
    topP: optionalNumber(draft.topP),
    topK: optionalNumber(draft.topK),
    presencePenalty: optionalNumber(draft.presencePenalty),
    maxCompletionTokens: optionalNumber(draft.maxCompletionTokens),
    thinkingTokenBudget: optionalNumber(draft.thinkingTokenBudget),
    gateObjects: draft.gateObjects
      .split(',')
      .map((label) => label.trim())
      .filter(Boolean),
    gateNsfw: draft.gateNsfw,
    gateMinConfidence: optionalNumber(draft.gateMinConfidence),
    reanalyseDegraded: draft.reanalyseDegraded,
  };
}
