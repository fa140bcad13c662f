import net from 'node:net';
import type { AddressKind } from '../net/outbound-url-policy';
import {
  checkTarget,
  ResolvedAddress,
  SourceAddressPolicy,
  SourceResolver,
  systemResolver,
} from './source-address-policy';

/**
 * The connections of one sampler run, made on ffmpeg's behalf by the HTTP proxy (source-proxy.ts)
 * or the RTSP relay (rtsp-relay.ts): each goes to an address the policy allowed, and each is
 * recorded, so the run's error can say what happened (a refusal, a closed port) and whether every
 * address involved was public.
 */
export interface EgressConnection {
  /** The host as asked for (a name or an IP literal) and the port. */
  host: string;
  port: number;
  /** The address connected to or refused; absent when the name did not resolve. */
  address?: string;
  outcome: 'refused' | 'unresolved' | 'failed' | 'answered' | 'tunnelled' | 'redirected';
  /** For `refused`: the kind of address. */
  refused?: AddressKind;
  /** For `unresolved` and `failed`: the error code (ECONNREFUSED, ETIMEDOUT, HPE_INVALID_CONSTANT …). */
  code?: string;
  /** For `answered`: the HTTP status (plain http only; a tunnel's statuses are encrypted). */
  status?: number;
  /** For `redirected`: where the source sent ffmpeg (host:port, never a path). */
  location?: string;
}

export interface EgressReport {
  /** Connections refused by the policy, and the first of them. */
  refusals: number;
  firstRefusal?: EgressConnection;
  /** Whether every address a connection was tried to was public (true when none was tried). */
  onlyPublic: boolean;
  /** The latest connection that could not be made, answered with something other than the protocol, or redirected. */
  lastFailure?: EgressConnection;
  /** The latest HTTP status of 400 or more a source answered over plain http. */
  lastErrorStatus?: number;
}

const MAX_HOST_LENGTH = 255;

export class SourceEgress {
  private readonly state: EgressReport = { refusals: 0, onlyPublic: true };
  private readonly sockets = new Set<net.Socket>();
  private closed = false;

  constructor(
    private readonly policy: SourceAddressPolicy,
    /** Limit for resolving and for connecting. */
    readonly timeoutMs: number,
    private readonly resolve: SourceResolver = systemResolver,
  ) {}

  report(): EgressReport {
    return { ...this.state };
  }

  record(connection: EgressConnection): void {
    const entry = { ...connection, host: connection.host.slice(0, MAX_HOST_LENGTH) };
    if (entry.outcome === 'refused') {
      this.state.refusals += 1;
      this.state.firstRefusal ??= entry;
    } else if (entry.outcome === 'answered' || entry.outcome === 'tunnelled') {
      if (entry.status !== undefined && entry.status >= 400) this.state.lastErrorStatus = entry.status;
    } else {
      this.state.lastFailure = entry;
    }
  }

  /** Keeps a socket to destroy on close(); destroys it at once if already closed. */
  track(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
  }

  /** Whether a host may be connected to, by its addresses: a refusal or an unresolved name, recorded; else the addresses. */
  async check(host: string, port: number): Promise<ResolvedAddress[] | EgressConnection> {
    const result = await checkTarget(host, port, this.policy, this.resolve, this.timeoutMs);
    if (result.ok) return result.addresses;
    const connection: EgressConnection = result.refused
      ? { host, port, address: result.address, outcome: 'refused', refused: result.refused }
      : { host, port, outcome: 'unresolved', code: result.code };
    this.record(connection);
    return connection;
  }

  /**
   * Resolves and checks a host, then connects to the first of its addresses that accepts. A
   * refusal or failure is recorded and returned instead of a socket.
   */
  async open(
    host: string,
    port: number,
  ): Promise<{ socket: net.Socket; address: string } | EgressConnection> {
    const checked = await this.check(host, port);
    return Array.isArray(checked) ? this.connect(host, port, checked) : checked;
  }

  /** Connects to addresses already checked for this host (never looking the name up again). */
  async connect(
    host: string,
    port: number,
    addresses: readonly ResolvedAddress[],
  ): Promise<{ socket: net.Socket; address: string } | EgressConnection> {
    if (addresses.some(({ address }) => !this.policy.isPublic(address, port))) this.state.onlyPublic = false;
    let failure: EgressConnection = { host, port, outcome: 'unresolved', code: 'ENOTFOUND' };
    for (const candidate of addresses) {
      try {
        const socket = await connectTo(candidate, port, this.timeoutMs);
        this.track(socket);
        return { socket, address: candidate.address };
      } catch (error) {
        failure = { host, port, address: candidate.address, outcome: 'failed', code: codeOf(error) };
      }
    }
    this.record(failure);
    return failure;
  }

  close(): void {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
  }
}

function connectTo(
  { address, family }: ResolvedAddress,
  port: number,
  timeoutMs: number,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // An IP address: net.connect looks nothing up.
    const socket = net.connect({ host: address, port, family });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Listens on an ephemeral port of 127.0.0.1 (the proxy's and the relay's), and returns the port. */
export async function listenOnLoopback(server: net.Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

export function codeOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'EPROTO';
}
