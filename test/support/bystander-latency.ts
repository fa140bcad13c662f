import { performance } from 'node:perf_hooks';
import type { TestApi } from './api-harness';

/** Latencies of a bystander's requests, in milliseconds. */
export interface Latencies {
  median: number;
  worst: number;
  count: number;
  /** How long the load took, start to end. */
  loadMs: number;
}

/**
 * How quickly another tenant is answered while `load` runs: `credential` asks for a small list of
 * streams, back to back, from before the load starts until it ends (after a warm-up of a few
 * requests). Every bystander request must succeed. Answers the load's own result with the figures.
 */
export async function bystanderLatency<T>(
  api: TestApi,
  credential: string,
  load: () => Promise<T>,
): Promise<{ result: T; latencies: Latencies }> {
  const measured = async (): Promise<number> => {
    const began = performance.now();
    const response = await api.gql('{ streams(first: 5) { edges { node { id } } } }', {}, credential);
    if (response.errors) throw new Error(`the bystander was refused: ${JSON.stringify(response.errors)}`);
    return performance.now() - began;
  };
  for (let n = 0; n < 5; n++) await measured();
  let done = false;
  const began = performance.now();
  const loading = load().finally(() => (done = true));
  const during: number[] = [];
  while (!done) during.push(await measured());
  const result = await loading;
  const loadMs = performance.now() - began;
  during.sort((a, b) => a - b);
  return {
    result,
    latencies: {
      median: during[Math.floor(during.length / 2)]!,
      worst: during.at(-1)!,
      count: during.length,
      loadMs,
    },
  };
}
