import { graphql } from '../../api/graphql';

export const IncidentListQuery = graphql(`
  query IncidentList($status: IncidentStatus, $streamId: ID, $first: Int, $after: String) {
    incidents(status: $status, streamId: $streamId, first: $first, after: $after) {
      edges {
        node {
          id
          summary
          severity
          status
          confidence
          startAt
          endAt
          firings
          streamId
          ruleId
          closedAt
          closeReason
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const IncidentLookupsQuery = graphql(`
  query IncidentLookups {
    streams(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
    rules(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);
