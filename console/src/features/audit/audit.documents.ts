import { graphql } from '../../api/graphql';

export const AuditEventsQuery = graphql(`
  query AuditEvents($filter: AuditEventFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      edges {
        node {
          id
          createdAt
          actorType
          actorId
          action
          entityType
          entityId
          chainIndex
          prevHash
          hash
          data
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const VerifyAuditChainQuery = graphql(`
  query VerifyAuditChain {
    verifyAuditChain {
      ok
      eventsChecked
      headHash
      firstBrokenEventId
      firstBrokenChainIndex
      reason
      verifiedAt
    }
  }
`);

export const AuditActorsQuery = graphql(`
  query AuditActors {
    users(first: 100) {
      edges {
        node {
          id
          email
        }
      }
    }
    apiKeys(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
  }
`);
