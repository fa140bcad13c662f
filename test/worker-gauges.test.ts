import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/config';
import type { NodeStatus } from '../src/inference/gpu/node-pool';
import { QUEUES } from '../src/jobs/job-registry';
import { createRedis } from '../src/redis/redis-client';
import { registerWorkerGauges } from '../src/workers/worker-gauges';
import { testJobQueue } from './support/test-jobs';

/** What a worker's /metrics tells an operator: queue depth by state and each GPU node's health. */
describe('worker gauges (real Redis)', () => {
  const connection = createRedis(loadConfig().REDIS_URL, { forWorkers: true });
  afterAll(() => connection.quit());

  it('reports the jobs of every queue by state, and each node as up or down', async () => {
    const jobs = testJobQueue(connection);
    const registry = new Registry();
    const node = (name: string, healthy: boolean, breaker: NodeStatus['breaker'], outstanding: number) =>
      ({ name, healthy, breaker, outstanding }) as NodeStatus;
    registerWorkerGauges(registry, jobs, () => [
      node('gpu-a', true, 'closed', 3),
      node('gpu-b', true, 'open', 0),
    ]);
    try {
      await jobs.add('analyseWindow', { tenantId: 't', windowId: 'w1' });
      await jobs.add('analyseWindow', { tenantId: 't', windowId: 'w2' });
      await jobs.add('deliverWebhook', { tenantId: 't', deliveryId: 'd1' });
      const text = await registry.metrics();
      expect(text).toContain(`vigil_queue_jobs{queue="${QUEUES.analysis}",state="waiting"} 2`);
      expect(text).toContain(`vigil_queue_jobs{queue="${QUEUES.webhooks}",state="waiting"} 1`);
      expect(text).toContain(`vigil_queue_jobs{queue="${QUEUES.rules}",state="waiting"} 0`);
      expect(text).toContain('vigil_gpu_node_up{node="gpu-a"} 1');
      expect(text).toContain('vigil_gpu_node_up{node="gpu-b"} 0');
      expect(text).toContain('vigil_gpu_node_outstanding_requests{node="gpu-a"} 3');
    } finally {
      for (const queue of Object.values(QUEUES)) await jobs.queue(queue).obliterate({ force: true });
      await jobs.close();
    }
  });
});
