import { useCallback } from 'react';
import { useClient, useQuery } from 'urql';
import type { ResultOf, VariablesOf } from '../../api/graphql';
import { useMutationToast } from '../../hooks/use-mutation-toast';
import {
  BacktestRuleQuery,
  BacktestStreamsQuery,
  CreateRuleMutation,
  DeleteRuleMutation,
  DisableRuleMutation,
  EnableRuleMutation,
  RuleQuery,
  RulesQuery,
  UpdateRuleMutation,
} from './rules.documents';

export type Rule = ResultOf<typeof RuleQuery>['rule'];
export type Backtest = ResultOf<typeof BacktestRuleQuery>['backtestRule'];

/** The tenant's rules, highest priority first. */
export function useRules() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: RulesQuery });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const rules = data?.rules.edges
    .map((edge) => edge.node)
    .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  return { rules, fetching, error, refresh };
}

/** One rule; nothing is read without an id (a new rule). */
export function useRule(ruleId: string | undefined) {
  const [{ data, fetching, error }, refetch] = useQuery({
    query: RuleQuery,
    variables: { id: ruleId ?? '' },
    pause: !ruleId,
  });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  return { rule: data?.rule, fetching, error, refresh };
}

export function useCreateRule() {
  return useMutationToast(CreateRuleMutation, (result) => `Rule “${result.createRule.name}” created`);
}

export function useUpdateRule(refresh?: () => void) {
  return useMutationToast(UpdateRuleMutation, (result) => `Rule “${result.updateRule.name}” saved`, refresh);
}

export function useDeleteRule() {
  return useMutationToast(DeleteRuleMutation, 'Rule deleted');
}

export function useEnableRule(refresh?: () => void) {
  return useMutationToast(EnableRuleMutation, (r) => `Rule “${r.enableRule.name}” enabled`, refresh);
}

export function useDisableRule(refresh?: () => void) {
  return useMutationToast(DisableRuleMutation, (r) => `Rule “${r.disableRule.name}” disabled`, refresh);
}

/** The streams a backtest can run on. */
export function useBacktestStreams() {
  const [{ data, fetching, error }] = useQuery({ query: BacktestStreamsQuery });
  return { streams: data?.streams.edges.map((edge) => edge.node), fetching, error };
}

/** Runs a saved rule or a draft over a stream's stored results (on demand; changes nothing). */
export function useBacktestRule() {
  const client = useClient();
  return useCallback(
    (variables: VariablesOf<typeof BacktestRuleQuery>) =>
      client.query(BacktestRuleQuery, variables, { requestPolicy: 'network-only' }).toPromise(),
    [client],
  );
}
