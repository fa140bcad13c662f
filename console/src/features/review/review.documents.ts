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
    assigneeApiKeyId
    assigneeName
    streamLive
    thumbnail {
      id
      url
    }
    claimDueAt
    decideDueAt
    claimExpiresAt
    createdAt
  }
`);

/**
 * A page of unresolved items over every queue in the given statuses: the live queue (all
 * unresolved) and "next" across what the moderator is viewing (the claimable ones). Pages of 50: a
 * row's thumbnail and holder make 100 rows a page cost more than the API allows.
 */
export const UnresolvedReviewItemsQuery = graphql(
  `
    query UnresolvedReviewItems($after: String, $status: [ReviewStatus!]!) {
      reviewItems(first: 50, after: $after, status: $status) {
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
      assigneeApiKeyId
      claimDueAt
      decideDueAt
      claimExpiresAt
      summary
      severity
      streamName
      streamLive
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
      policy
      policyReasonId
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
        policy
        policyReasonId
        notes
        decidedAt
        decidedById
        decidedByApiKeyId
      }
    }
  `,
  [QueueItemFields],
);

/** The incident of an item: its summary, a sample of keyframes over its whole span, the rule that fired. */
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
      closedAt
      closeReason
      keyframes {
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
    rule(ruleId: $ruleId) {
      id
      name
      condition
    }
  }
`);

/** One page of an incident's firings (first firing first), each with its window's frames and its analysis. */
export const IncidentFiringsQuery = graphql(`
  query IncidentFirings($incidentId: ID!, $first: Int!, $after: String) {
    incident(incidentId: $incidentId) {
      id
      evidence(first: $first, after: $after) {
        edges {
          cursor
          node {
            id
            startAt
            endAt
            severity
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
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const PolicyReasonsQuery = graphql(`
  query PolicyReasons {
    policyReasons {
      id
      label
      policy
      decisions
    }
  }
`);

export const ReviewQueuePoliciesQuery = graphql(`
  query ReviewQueuePolicies {
    reviewQueues {
      id
      name
      whenStreamNotLive
    }
  }
`);

export const ReviewNotesQuery = graphql(`
  query ReviewNotes($id: ID!) {
    reviewNotes(reviewItemId: $id) {
      id
      text
      authorName
      authorType
      createdAt
    }
  }
`);

export const AddReviewNoteMutation = graphql(`
  mutation AddReviewNote($id: ID!, $text: String!) {
    addReviewNote(reviewItemId: $id, text: $text) {
      id
      text
      authorName
      authorType
      createdAt
    }
  }
`);

/** What happened on the item's stream lately: its newest review items (one per incident), decided or not. */
export const StreamHistoryQuery = graphql(`
  query StreamHistory($streamId: ID!) {
    reviewItems(streamId: $streamId, newestFirst: true, first: 8) {
      edges {
        node {
          id
          summary
          severity
          status
          decision
          reason
          createdAt
          decidedAt
        }
      }
    }
  }
`);
