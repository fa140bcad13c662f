/**
 * Child process of the fan-out benchmark: opens many graphql-ws subscriptions (raw `ws`, the
 * graphql-transport-ws protocol by hand, so the client side stays cheap) to `alerts(after:)` and
 * measures each delivery's latency from the publish time the event carries in `message`.
 *
 * Parent -> child: { type: 'start', url, apiKey, clients, after }, then { type: 'measure', from }
 * (cursor: count events after it), then { type: 'report' }.
 * Child -> parent: { type: 'connected' } once every client has received a warm-up event;
 * { type: 'refused', message } as soon as the API refuses a subscription or closes a socket before
 * its first event (a limit the bench did not raise would otherwise look like a slow connect); { type: 'report', latencies, received, closed }.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

type ParentMessage =
  | { type: 'start'; url: string; apiKey: string; clients: number; after: string }
  | { type: 'measure'; from: string }
  | { type: 'report' };

const QUERY = 'subscription($after: String) { alerts(after: $after) { cursor message } }';
const now = (): number => performance.timeOrigin + performance.now();
const MAX_HANDSHAKES = 100;

let measureFrom: string | null = null;
const latencies: number[] = [];
let received = 0;
let closed = 0;

const after = (a: string, b: string): boolean => {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
};

/**
 * One subscriber. `onHandshake` runs once its connection is acknowledged or has failed; `onFirst`
 * once its first event arrives.
 */
function open(
  url: string,
  apiKey: string,
  cursor: string,
  onHandshake: () => void,
  onFirst: () => void,
): void {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  let first = true;
  let failure = '';
  socket.on('open', () =>
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${apiKey}` } })),
  );
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as {
      type: string;
      payload?: { data?: { alerts?: { cursor: string; message: string } } } | { message?: string }[];
    };
    if (message.type === 'error') {
      const reasons = Array.isArray(message.payload) ? message.payload.map((error) => error.message) : [];
      process.send?.({ type: 'refused', message: reasons.join('; ') || 'subscription refused' });
      return;
    }
    if (message.type === 'connection_ack') {
      onHandshake();
      socket.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: { query: QUERY, variables: { after: cursor } },
        }),
      );
      return;
    }
    const event = Array.isArray(message.payload) ? undefined : message.payload?.data?.alerts;
    if (message.type !== 'next' || !event) return;
    if (first) {
      first = false;
      onFirst();
    }
    if (measureFrom && after(event.cursor, measureFrom)) {
      received++;
      latencies.push(now() - Number(event.message));
    }
  });
  // A reset connection is reported like a refusal instead of ending the process (ws then closes it).
  socket.on('error', (error) => (failure = error.message));
  socket.on('close', (code, reason) => {
    closed++;
    onHandshake();
    // Closed before its first event: the API refused the connection (a limit the bench did not raise).
    if (first) {
      process.send?.({ type: 'refused', message: failure || `socket closed ${code} ${String(reason)}` });
    }
  });
}

/**
 * Opens the subscribers with at most MAX_HANDSHAKES connecting at once: thousands of simultaneous
 * connects overflow the API's accept backlog and come back as resets, which is not what is measured.
 */
function openAll(start: Extract<ParentMessage, { type: 'start' }>): void {
  let opened = 0;
  let connecting = 0;
  let waiting = start.clients;
  const openMore = (): void => {
    while (connecting < MAX_HANDSHAKES && opened < start.clients) {
      opened++;
      connecting++;
      let done = false;
      const onHandshake = (): void => {
        if (done) return;
        done = true;
        connecting--;
        openMore();
      };
      open(start.url, start.apiKey, start.after, onHandshake, () => {
        if (--waiting === 0) process.send?.({ type: 'connected' });
      });
    }
  };
  openMore();
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'start') {
    openAll(message);
  } else if (message.type === 'measure') {
    measureFrom = message.from;
  } else {
    process.send?.({ type: 'report', latencies, received, closed }, () => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
