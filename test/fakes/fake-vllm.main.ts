import { startFakeVllmServer, type FakeVllmOptions } from './fake-vllm-server';

/**
 * The fake vLLM server as its own OS process, so a test or benchmark can kill a "GPU node" for
 * real. Options: JSON in FAKE_VLLM_OPTIONS (or the first argument). Once listening it prints one
 * JSON line, a FakeVllmReadyLine, to stdout; SIGTERM or SIGINT closes it cleanly.
 */

/** The one line the process prints to stdout when it listens. */
export interface FakeVllmReadyLine {
  url: string;
}

async function main(): Promise<void> {
  const raw = process.env.FAKE_VLLM_OPTIONS ?? process.argv[2];
  const options = (raw ? JSON.parse(raw) : {}) as FakeVllmOptions;
  const server = await startFakeVllmServer(options);
  const shutdown = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  // With an IPC channel the parent's death closes it: an orphaned fake must not hold its port.
  if (process.send) process.once('disconnect', shutdown);
  const ready: FakeVllmReadyLine = { url: server.url };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  console.error('fake vLLM failed to start:', error);
  process.exit(1);
});
