import type { Server } from 'node:http';

/** What the front door lets callers hold: connections, time to send a body, unverified body bytes. */
export interface FrontDoorLimits {
  /** Open connections in all; one more is closed as it arrives. */
  readonly maxConnections: number;
  /** Open connections from one client address. */
  readonly maxConnectionsPerIp: number;
  /** How long a request's body may take to arrive once its head has. */
  readonly bodyTimeoutMs: number;
  /** Bytes of bodies being read whose signature cannot be checked before they are complete, in all. */
  readonly maxUnverifiedBodyBytes: number;
}

/**
 * Caps connections in all (Node's own `maxConnections`) and per client address, so that no one caller
 * holds every socket. A connection over either cap is closed before a byte of it is read.
 */
export function capConnections(server: Server, limits: Pick<FrontDoorLimits, 'maxConnections' | 'maxConnectionsPerIp'>): void {
  server.maxConnections = limits.maxConnections;
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (open.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerIp) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/**
 * A budget of body bytes held before their signature is checked. SigV4 signs the body's hash, so a
 * client that does not declare it (`x-amz-content-sha256`, which the AWS SDKs send only to S3) can be
 * checked only once its body is in; its head has passed every other check by then (known key, fresh
 * date), but the bytes are still a stranger's until the signature matches.
 */
export class UnverifiedBodyBudget {
  #held = 0;

  constructor(private readonly max: number) {}

  /** Reserves `bytes`; false when that would go over the budget. */
  take(bytes: number): boolean {
    if (this.#held + bytes > this.max) return false;
    this.#held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#held -= bytes;
  }
}
