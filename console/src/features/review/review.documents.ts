import { graphql } from '../../api/graphql';

export const QueueItemFields = graphql(`
  fragment QueueItemFields on ReviewItem {
    id
    queue
    priority
    status
    streamId
    streamName
    incidentId
    ruleId
    severity
    summary
    assigneeId
    claimDueAt
    decideDueAt
    claimExpiresAt
    createdAt
  }
`);

export const OpenReviewItemsQuery = graphql(
  `
    query OpenReviewItems($after: String) {
      reviewItems(first: 100, after: $after, status: [OPEN, CLAIMED, HELD, ESCALATED]) {
        edges {
          node {
            ...QueueItemFields
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  `,
  [QueueItemFields],
);

export const QueueItemQuery = graphql(
  `
    query QueueItem($id: ID!) {
      reviewItem(reviewItemId: $id) {
        ...QueueItemFields
      }
    }
  `,
  [QueueItemFields],
);

export const QueueEventsSubscription = graphql(`
  subscription QueueEvents {
    reviewQueue {
      cursor
      type
      reviewItemId
      incidentId
      streamId
      queue
      priority
      status
      assigneeId
      claimDueAt
      decideDueAt
      claimExpiresAt
    }
  }
`);

export const ClaimReviewItemMutation = graphql(
  `
    mutation ClaimReviewItem($id: ID!) {
      claimReviewItem(reviewItemId: $id) {
        ...QueueItemFields
      }
    }
  `,
  [QueueItemFields],
);

export const ClaimNextReviewItemMutation = graphql(
  `
    mutation ClaimNextReviewItem($queue: String!) {
      claimNextReviewItem(queue: $queue) {
        ...QueueItemFields
      }
    }
  `,
  [QueueItemFields],
);

export const DecideReviewItemMutation = graphql(`
  mutation DecideReviewItem($id: ID!, $input: ReviewDecisionInput!) {
    decideReviewItem(reviewItemId: $id, input: $input) {
      id
      status
      decision
      decidedAt
      decidedById
      notes
      reason
    }
  }
`);

export const ReviewItemViewQuery = graphql(
  `
    query ReviewItemView($id: ID!) {
      reviewItem(reviewItemId: $id) {
        ...QueueItemFields
        decision
        reason
        notes
        decidedAt
        decidedById
      }
    }
  `,
  [QueueItemFields],
);

export const ReviewEvidenceQuery = graphql(`
  query ReviewEvidence($incidentId: ID!, $ruleId: ID!) {
    incident(incidentId: $incidentId) {
      id
      summary
      severity
      confidence
      status
      startAt
      endAt
      firings
      evidence(first: 20) {
        edges {
          node {
            id
            analysis {
              id
              status
              mode
              model
              nodeName
              windowId
              startedAt
              completedAt
              result
              reasoning
            }
            window {
              id
              index
              startAt
              endAt
              frames {
                id
                url
                capturedAt
                sequence
                skippedBefore
                width
                height
                sha256
              }
            }
          }
        }
      }
    }
    rule(ruleId: $ruleId) {
      id
      name
      condition
    }
  }
`);
