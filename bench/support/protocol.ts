/**
 * What the benchmark's parent process and its server children say to each other over the fork IPC
 * channel, and the query both servers answer.
 */
/** The list query both servers answer: a page of `first` streams with their templates. */
export const listStreamsQuery = (first: number): string => `{
  streams(first: ${first}) {
    edges {
      node {
        id
        name
        status
        sourceUrl
        kind
        fps
        maxWidth
        template { id name activeVersion { version modelName } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** The page size of the headline figures. */
export const LIST_PAGE_SIZE = 50;
export const LIST_STREAMS_QUERY = listStreamsQuery(LIST_PAGE_SIZE);

/** Streams seeded: the largest page of the cost curve. */
export const STREAM_COUNT = 100;

/** Child to parent. */
export type ChildMessage =
  | { type: 'ready'; port: number }
  | { type: 'cpu'; user: number; system: number }
  | { type: 'failed'; message: string };

/** Parent to child. */
export type ParentMessage = { type: 'cpu' } | { type: 'stop' };

export function isParentMessage(value: unknown): value is ParentMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    ((value as { type?: unknown }).type === 'cpu' || (value as { type?: unknown }).type === 'stop')
  );
}

/**
 * Runs a server child: calls `start`, reports the port, answers CPU queries, and on `stop` (or when
 * the parent goes away) calls `stop` and exits, so no child outlives the benchmark.
 */
export function runServerChild(start: () => Promise<{ port: number; stop: () => Promise<void> }>): void {
  const send = (message: ChildMessage): void => {
    if (process.send) process.send(message);
  };
  let stopping = false;
  start()
    .then(({ port, stop }) => {
      const shutdown = (): void => {
        if (stopping) return;
        stopping = true;
        // A stuck drain must not keep the child alive; exiting normally still writes --cpu-prof output.
        setTimeout(() => process.exit(0), 5_000).unref();
        stop()
          .catch((error: unknown) => console.error('bench server: stop failed', error))
          .finally(() => process.exit(0));
      };
      process.on('message', (message: unknown) => {
        if (!isParentMessage(message)) return;
        if (message.type === 'cpu') {
          const usage = process.cpuUsage();
          send({ type: 'cpu', user: usage.user, system: usage.system });
        } else shutdown();
      });
      process.on('disconnect', shutdown);
      process.on('SIGTERM', shutdown);
      send({ type: 'ready', port });
    })
    .catch((error: unknown) => {
      send({
        type: 'failed',
        message: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.exit(1);
    });
}
