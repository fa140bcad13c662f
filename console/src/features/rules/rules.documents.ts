import { graphql } from '../../api/graphql';

export const RulesQuery = graphql(`
  query AdminRules {
    rules(first: 100) {
      edges {
        node {
          id
          name
          enabled
          priority
          cooldownSeconds
          action
          lastError
          updatedAt
        }
      }
    }
  }
`);

export const EnableRuleMutation = graphql(`
  mutation EnableRule($ruleId: ID!) {
    enableRule(ruleId: $ruleId) {
      id
      name
      enabled
    }
  }
`);

export const DisableRuleMutation = graphql(`
  mutation DisableRule($ruleId: ID!) {
    disableRule(ruleId: $ruleId) {
      id
      name
      enabled
    }
  }
`);

export const RuleQuery = graphql(`
  query AdminRule($id: ID!) {
    rule(ruleId: $id) {
      id
      name
      enabled
      priority
      cooldownSeconds
      condition
      action
      lastError
      lastErrorAt
      createdAt
      updatedAt
    }
  }
`);

export const CreateRuleMutation = graphql(`
  mutation CreateRule($input: CreateRuleInput!) {
    createRule(input: $input) {
      id
      name
    }
  }
`);

export const UpdateRuleMutation = graphql(`
  mutation UpdateRule($ruleId: ID!, $input: UpdateRuleInput!) {
    updateRule(ruleId: $ruleId, input: $input) {
      id
      name
      priority
      cooldownSeconds
      condition
      action
      lastError
      lastErrorAt
      updatedAt
    }
  }
`);

export const DeleteRuleMutation = graphql(`
  mutation DeleteRule($ruleId: ID!) {
    deleteRule(ruleId: $ruleId)
  }
`);

export const BacktestStreamsQuery = graphql(`
  query BacktestStreams {
    streams(first: 100) {
      edges {
        node {
          id
          name
          status
        }
      }
    }
  }
`);

export const BacktestRuleQuery = graphql(`
  query BacktestRule($input: BacktestRuleInput!) {
    backtestRule(input: $input) {
      evaluated
      incidents
      firings {
        analysisId
        windowId
        endAt
        matchedPaths
        opensIncident
      }
    }
  }
`);
