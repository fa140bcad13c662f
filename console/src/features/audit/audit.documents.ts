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

/** A verification of the chain run as a job: its progress, and its outcome once done. */
const VerificationRunFields = graphql(`
  fragment VerificationRunFields on AuditChainVerificationRun {
    id
    status
    eventsTotal
    eventsChecked
    error
    result {
      ok
      eventsChecked
      headHash
      firstBrokenEventId
      firstBrokenChainIndex
      reason
      verifiedAt
      keyed
      unkeyedEvents
      anchorsChecked
    }
  }
`);

export const StartAuditChainVerificationMutation = graphql(
  `
    mutation StartAuditChainVerification {
      startAuditChainVerification {
        ...VerificationRunFields
      }
    }
  `,
  [VerificationRunFields],
);

export const AuditChainVerificationQuery = graphql(
  `
    query AuditChainVerification($verificationId: ID!) {
      auditChainVerification(verificationId: $verificationId) {
        ...VerificationRunFields
      }
    }
  `,
  [VerificationRunFields],
);

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
