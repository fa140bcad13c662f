/**
 * The real worker (startWorker) as an OS process of its own, forked by worker-process.ts so that a
 * fault test can SIGKILL it. Its configuration comes from the environment like the worker
 * process's; the analysis queue's lock settings, which fault tests shorten, from VIGIL_TEST_SERVING.
 */
import 'reflect-metadata';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';
import { startWorker, type StartWorkerOptions } from '../../src/workers/start-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const serving = JSON.parse(process.env.VIGIL_TEST_SERVING ?? '{}') as StartWorkerOptions['serving'];
  const worker = await startWorker(config, createLogger(config.LOG_LEVEL), { serving });
  const stop = () => void worker.stop().finally(() => process.exit(0));
  process.on('message', (message) => {
    if (message === 'stop') stop();
  });
  // The parent went away without stopping it: do not outlive the test run.
  process.on('disconnect', stop);
  process.send?.('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
