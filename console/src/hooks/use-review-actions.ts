import { useCallback } from 'react';
import { toast } from 'sonner';
import { useMutation } from 'urql';
import { describeError } from '../api/errors';
import { graphql } from '../api/graphql';
import { QueueItemFields } from './use-live-review-queue';

const ClaimMutation = graphql(
  `
    mutation ClaimReviewItem($id: ID!) {
      claimReviewItem(reviewItemId: $id) {
        ...QueueItemFields
      }
    }
  `,
  [QueueItemFields],
);

const ClaimNextMutation = graphql(
  `
    mutation ClaimNextReviewItem($queue: String!) {
      claimNextReviewItem(queue: $queue) {
        ...QueueItemFields
      }
    }
  `,
  [QueueItemFields],
);

const ReleaseMutation = graphql(`
  mutation ReleaseReviewItem($id: ID!) {
    releaseReviewItem(reviewItemId: $id) {
      id
      status
      assigneeId
    }
  }
`);

const DecideMutation = graphql(`
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

export type ModeratorDecision = 'DISMISS' | 'CONFIRM_VIOLATION' | 'ESCALATE' | 'STOP_STREAM';

/**
 * The moderator's actions on review items, each confirmed or explained with a toast.
 */
export function useReviewActions() {
  const [claimState, claimMutation] = useMutation(ClaimMutation);
  const [, claimNextMutation] = useMutation(ClaimNextMutation);
  const [, releaseMutation] = useMutation(ReleaseMutation);
  const [decideState, decideMutation] = useMutation(DecideMutation);

  const claim = useCallback(
    async (id: string) => {
      const result = await claimMutation({ id });
      if (result.data) {
        toast.success('Claimed: the item is yours until you decide or release it');
        return result.data.claimReviewItem;
      }
      // CONFLICT says why in the API's words: claimed by another moderator, or already resolved.
      toast.error(describeError(result.error) || 'The claim failed');
      return null;
    },
    [claimMutation],
  );

  const claimNext = useCallback(
    async (queue: string) => {
      const result = await claimNextMutation({ queue });
      if (result.error) {
        toast.error(describeError(result.error));
        return null;
      }
      const item = result.data?.claimNextReviewItem ?? null;
      if (!item) toast.info(`Queue “${queue}” has no item to claim`);
      else toast.success('Claimed the most urgent item');
      return item;
    },
    [claimNextMutation],
  );

  const release = useCallback(
    async (id: string) => {
      const result = await releaseMutation({ id });
      if (result.error) toast.error(describeError(result.error));
      else toast.success('Released back to the queue');
      return !result.error;
    },
    [releaseMutation],
  );

  const decide = useCallback(
    async (id: string, decision: ModeratorDecision, reason: string, notes: string) => {
      const result = await decideMutation({ id, input: { decision, reason, notes: notes || null } });
      if (result.error || !result.data) {
        toast.error(describeError(result.error) || 'The decision was not saved');
        return null;
      }
      toast.success(`Decided: ${DECISION_LABELS[decision]}`);
      return result.data.decideReviewItem;
    },
    [decideMutation],
  );

  return { claim, claimNext, release, decide, claiming: claimState.fetching, deciding: decideState.fetching };
}

export const DECISION_LABELS: Record<ModeratorDecision, string> = {
  DISMISS: 'Dismiss',
  CONFIRM_VIOLATION: 'Confirm violation',
  ESCALATE: 'Escalate',
  STOP_STREAM: 'Stop stream',
};

/** Statuses a moderator may claim (the API's rule, review.service.ts CLAIMABLE): escalated and held items too. */
export function isClaimable(status: string): boolean {
  return status === 'OPEN' || status === 'HELD' || status === 'ESCALATED';
}
