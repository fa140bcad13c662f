import { registerEnumType } from 'type-graphql';
import { API_KEY_SCOPES, type ApiKeyScope as ApiKeyScopeValue } from '../auth/permissions';
import {
  AnalysisMode,
  AnalysisStatus,
  InferenceMode,
  InferenceNodeState,
  OverBudgetAction,
  Role,
  StreamKind,
  StreamStatus,
} from '../generated/prisma/enums';

registerEnumType(Role, { name: 'Role', description: 'What a user or API key may do in its tenant' });
registerEnumType(StreamKind, { name: 'StreamKind', description: 'How the sampler reads the source' });
registerEnumType(StreamStatus, { name: 'StreamStatus' });
registerEnumType(InferenceMode, {
  name: 'InferenceMode',
  description: 'THINKING models reason before answering; INSTRUCT models answer directly',
});
registerEnumType(AnalysisMode, {
  name: 'AnalysisMode',
  description: 'VLM: a vision-language model on a GPU node; LOCAL: the CPU detector (no reasoning)',
});
registerEnumType(AnalysisStatus, {
  name: 'AnalysisStatus',
  description:
    'RUNNING -> DONE | FAILED | GATED (the local gate kept it from the GPU) | DEGRADED (local fallback: no GPU node)',
});
registerEnumType(OverBudgetAction, {
  name: 'OverBudgetAction',
  description:
    'What happens once the monthly token budget is used up: LOCAL analyses windows with the local detector, PAUSE pauses the streams',
});
registerEnumType(InferenceNodeState, {
  name: 'InferenceNodeState',
  description: 'DRAINING: finishes what it has and gets nothing new',
});

/** An API key's extra rights, named in GraphQL by their upper-case form (REVIEW is "review"). */
export const ApiKeyScope = Object.fromEntries(
  API_KEY_SCOPES.map((scope) => [scope.toUpperCase(), scope]),
) as {
  [Scope in ApiKeyScopeValue as Uppercase<Scope>]: Scope;
};
export type ApiKeyScope = ApiKeyScopeValue;
registerEnumType(ApiKeyScope, {
  name: 'ApiKeyScope',
  description:
    'Rights an API key may carry beyond its role. REVIEW: claims and decides review items (ADMIN or MODERATOR keys)',
});

export {
  AnalysisMode,
  AnalysisStatus,
  InferenceMode,
  InferenceNodeState,
  OverBudgetAction,
  Role,
  StreamKind,
  StreamStatus,
};
