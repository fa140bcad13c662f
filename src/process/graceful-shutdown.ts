import type { Logger } from 'pino';

/** The parts of `process` this module uses, so tests can stand in for it. */
export interface ProcessLike {
  once(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  exit(code: number): void;
}

/**
 * On SIGTERM or SIGINT, runs `stop` once (finish in-flight work, close connections) and exits;
 * if that takes longer than `timeoutMs`, exits anyway so an orchestrator is never kept waiting.
 */
export function runUntilSignal(
  logger: Logger,
  timeoutMs: number,
  stop: () => Promise<void>,
  host: ProcessLike = process,
): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      host.exit(1);
    }, timeoutMs);
    timer.unref();
    stop()
      .then(() => {
        clearTimeout(timer);
        logger.info('stopped');
        host.exit(0);
      })
      .catch((error: unknown) => {
        clearTimeout(timer);
        logger.error({ err: error }, 'error while stopping');
        host.exit(1);
      });
  };
  host.once('SIGTERM', onSignal);
  host.once('SIGINT', onSignal);
}
