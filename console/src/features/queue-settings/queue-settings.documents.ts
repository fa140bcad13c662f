import { graphql } from '../../api/graphql';

export const ReviewQueuesQuery = graphql(`
  query AdminReviewQueues {
    reviewQueues {
      id
      name
      claimWithinSeconds
      decideWithinSeconds
      whenStreamNotLive
    }
  }
`);

export const SetReviewQueueMutation = graphql(`
  mutation SetReviewQueue($input: ReviewQueueInput!) {
    setReviewQueue(input: $input) {
      id
      name
      claimWithinSeconds
      decideWithinSeconds
      whenStreamNotLive
    }
  }
`);
