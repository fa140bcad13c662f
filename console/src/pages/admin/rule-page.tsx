import { useParams } from 'react-router';
import { RuleDetails } from '../../features/rules/rule-details';

/** `admin/rules/new` creates a rule, `admin/rules/:ruleId` edits one. */
export function RulePage() {
  const { ruleId } = useParams();
  return <RuleDetails ruleId={ruleId} />;
}
