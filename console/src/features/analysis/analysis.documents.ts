import { graphql } from '../../api/graphql';

export const ReasoningEventsSubscription = graphql(`
  subscription ReasoningEvents($analysisId: ID!) {
    analysisReasoning(analysisId: $analysisId) {
      type
      text
      offset
      attempt
      node
      status
    }
  }
`);

export const ReasoningSoFarQuery = graphql(`
  query ReasoningSoFar($analysisId: ID!) {
    analysis(analysisId: $analysisId) {
      id
      status
      reasoning
    }
  }
`);
