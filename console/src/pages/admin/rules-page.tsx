import { RuleList } from '../../features/rules/rule-list';

export function RulesPage() {
  return <RuleList />;
}
