import { graphql } from '../../api/graphql';

export const InferenceNodesQuery = graphql(`
  query AdminInferenceNodes {
    inferenceNodes {
      id
      name
      url
      model
      source
      state
      healthy
      breaker
      outstanding
      running
      waiting
      kvCacheUsage
      maxConcurrency
      weight
      hasApiKey
      lastError
      problem
      reportedAt
      workersReporting
    }
  }
`);

export const RegisterInferenceNodeMutation = graphql(`
  mutation RegisterInferenceNode($input: RegisterInferenceNodeInput!) {
    registerInferenceNode(input: $input) {
      id
      name
    }
  }
`);

export const DrainInferenceNodeMutation = graphql(`
  mutation DrainInferenceNode($nodeId: ID!) {
    drainInferenceNode(nodeId: $nodeId) {
      id
      name
      state
    }
  }
`);

export const ActivateInferenceNodeMutation = graphql(`
  mutation ActivateInferenceNode($nodeId: ID!) {
    activateInferenceNode(nodeId: $nodeId) {
      id
      name
      state
    }
  }
`);

export const RemoveInferenceNodeMutation = graphql(`
  mutation RemoveInferenceNode($nodeId: ID!) {
    removeInferenceNode(nodeId: $nodeId)
  }
`);
