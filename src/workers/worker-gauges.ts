import { Gauge, type Registry } from 'prom-client';
import type { NodeStatus } from '../inference/gpu/node-pool';
import type { BullJobQueue } from '../jobs/bullmq-job-queue';
import { QUEUES } from '../jobs/job-registry';

/** Job states a queue's depth is reported in. */
const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

/**
 * What an operator watches on a worker, read when Prometheus scrapes: each queue's jobs by state
 * (a growing `waiting` means workers cannot keep up; `failed` growing, jobs that gave up), and each
 * GPU node as this worker sees it (up, breaker open, requests in flight).
 */
export function registerWorkerGauges(
  registry: Registry,
  jobs: BullJobQueue,
  nodes: () => NodeStatus[],
): void {
  new Gauge({
    name: 'vigil_queue_jobs',
    help: 'Jobs in each queue by state, as Redis holds them',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const queue of Object.values(QUEUES)) {
        const counts = await jobs.queue(queue).getJobCounts(...STATES);
        for (const state of STATES) this.set({ queue, state }, counts[state] ?? 0);
      }
    },
  });
  new Gauge({
    name: 'vigil_gpu_node_up',
    help: '1 when the GPU node answered its last health check and its breaker is not open',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const node of nodes())
        this.set({ node: node.name }, node.healthy && node.breaker !== 'open' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vigil_gpu_node_outstanding_requests',
    help: 'Requests this worker has in flight on each GPU node',
    labelNames: ['node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const node of nodes()) this.set({ node: node.name }, node.outstanding);
    },
  });
}
