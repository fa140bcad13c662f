/**
 * Redis pub/sub channel names, in one place. Every channel carries the tenant id, so the
 * subscription layer can refuse a channel of another tenant by its name alone.
 */
export const TOPICS = {
  /** Reasoning of one analysis as the model produces it: ReasoningMessage. */
  analysisReasoning: (tenantId: string, analysisId: string): string =>
    `vigil:t:${tenantId}:analysis:${analysisId}:reasoning`,
  /**
   * A key, not a channel: the reasoning of the running attempt so far, so that a console opening
   * mid-analysis shows it from the start and continues with the deltas (by their offsets).
   */
  analysisReasoningSoFar: (tenantId: string, analysisId: string): string =>
    `vigil:t:${tenantId}:analysis:${analysisId}:reasoning-so-far`,
  /** Every finished analysis of a tenant: AnalysisFinishedMessage. */
  analysesFinished: (tenantId: string): string => `vigil:t:${tenantId}:analyses`,
  /** Review items of a tenant added, claimed, released, held, escalated, reassigned or resolved: ReviewItemMessage. */
  reviewItems: (tenantId: string): string => `vigil:t:${tenantId}:review-items`,
  /** Alerts raised by rules: AlertMessage. */
  alerts: (tenantId: string): string => `vigil:t:${tenantId}:alerts`,
  /** A stream's status or counters changed: StreamStatusMessage. */
  streamStatus: (tenantId: string): string => `vigil:t:${tenantId}:stream-status`,
  /** A platform admin registered, drained or removed a GPU node: workers reload their node list. */
  inferenceNodesChanged: 'vigil:inference-nodes:changed',
} as const;

/**
 * Each worker's view of its GPU nodes (NodeStatus[] from src/inference/gpu/node-pool.ts) is kept under
 * this key, as JSON {workerId, at, nodes}, expiring after three poll intervals.
 */
export const NODE_STATUS_KEY_PREFIX = 'vigil:inference:node-status:';

/** How long the reasoning-so-far key outlives its last delta (the Analysis row holds it after). */
export const REASONING_SO_FAR_TTL_SECONDS = 900;

export type ReasoningMessage =
  /** A new attempt starts (another node, or a larger budget): earlier text is void. */
  | { type: 'attempt'; analysisId: string; attempt: number; node: string }
  /** `offset`: how many characters of this attempt's reasoning came before `text`. */
  | { type: 'delta'; analysisId: string; attempt: number; offset: number; text: string }
  | { type: 'end'; analysisId: string; status: string };

export interface AnalysisFinishedMessage {
  analysisId: string;
  windowId: string;
  streamId: string;
  status: string;
  mode: string;
}

export interface ReviewItemMessage {
  type: 'added' | 'claimed' | 'released' | 'held' | 'escalated' | 'reassigned' | 'resolved' | 'reopened';
  reviewItemId: string;
  incidentId: string;
  streamId: string;
  queue: string;
  status: string;
  priority: number;
  assigneeId: string | null;
  /** Deadlines and lease as ISO strings, so a live list can follow a claim without a query. */
  claimDueAt: string | null;
  decideDueAt: string | null;
  claimExpiresAt: string | null;
  /** When the current claim began (the decide deadline counts from it). */
  claimedAt: string | null;
  /** The API key holding the claim, when a key (not a person) holds it. */
  assigneeApiKeyId: string | null;
  /** What a queue row shows without a query: what happened, how bad, on which stream. */
  summary: string;
  severity: string | null;
  streamName: string | null;
  /** False once the stream is stopped or ended: its deadlines follow the queue's policy. */
  streamLive: boolean;
}

/** What the message tells beside the item's own columns. */
export type ReviewItemContext = Pick<ReviewItemMessage, 'summary' | 'severity' | 'streamName' | 'streamLive'>;

type ReviewItemDates = 'claimDueAt' | 'decideDueAt' | 'claimExpiresAt' | 'claimedAt';

/** The message for a review item as it is now (one shape for every change the owner makes). */
export function reviewItemMessage(
  item: Pick<
    ReviewItemMessage,
    'incidentId' | 'streamId' | 'queue' | 'status' | 'priority' | 'assigneeId' | 'assigneeApiKeyId'
  > & {
    id: string;
  } & Record<ReviewItemDates, Date | null>,
  type: ReviewItemMessage['type'],
  context: ReviewItemContext,
): ReviewItemMessage {
  return {
    type,
    reviewItemId: item.id,
    incidentId: item.incidentId,
    streamId: item.streamId,
    queue: item.queue,
    status: item.status,
    priority: item.priority,
    assigneeId: item.assigneeId,
    claimDueAt: item.claimDueAt?.toISOString() ?? null,
    decideDueAt: item.decideDueAt?.toISOString() ?? null,
    claimExpiresAt: item.claimExpiresAt?.toISOString() ?? null,
    claimedAt: item.claimedAt?.toISOString() ?? null,
    assigneeApiKeyId: item.assigneeApiKeyId,
    ...context,
  };
}

export interface AlertMessage {
  alertId: string;
  incidentId: string;
  streamId: string;
  ruleId: string;
  severity: string;
  message: string;
}

export interface StreamStatusMessage {
  streamId: string;
  status: string;
  lastError: string | null;
}
