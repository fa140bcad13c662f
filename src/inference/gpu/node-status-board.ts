import type Redis from 'ioredis';
import { NODE_STATUS_KEY_PREFIX } from '../../pubsub/topics';
import type { NodeStatus } from './node-pool';

export interface WorkerNodeReport {
  workerId: string;
  at: string;
  nodes: NodeStatus[];
}

/**
 * Each worker's view of its GPU nodes, kept in Redis for the API to show to platform admins. A
 * worker that dies stops refreshing its key and its report expires.
 */
export async function publishNodeStatus(
  redis: Redis,
  workerId: string,
  nodes: NodeStatus[],
  ttlMs: number,
): Promise<void> {
  const report: WorkerNodeReport = { workerId, at: new Date().toISOString(), nodes };
  await redis.set(NODE_STATUS_KEY_PREFIX + workerId, JSON.stringify(report), 'PX', ttlMs);
}
