import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ReportError } from '../../core/index.js';
import { peerUid } from '../sandbox/socket-owner.js';

/** Where a pre-started runtime waits for the function it will run (selfless's own path, not Lambda's). */
export const ASSIGNMENT_PATH = '/2018-06-01/runtime/selfless/assignment';

/** What the environment does with each Runtime API request it is entitled to. */
export interface RuntimeApiHandlers {
  next(res: ServerResponse): void;
  awaitAssignment(res: ServerResponse): void;
  initError(req: IncomingMessage, res: ServerResponse): Promise<void>;
  response(requestId: string, req: IncomingMessage, res: ServerResponse): Promise<void>;
  error(requestId: string, req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface RuntimeApiOptions {
  readonly environmentId: string;
  /** Whether environments are sandboxed (then only the environment's own uid may connect). */
  readonly sandboxed: boolean;
  /** The environment's host uid, once its sandbox exists. */
  readonly uid: () => number | undefined;
  readonly handlers: RuntimeApiHandlers;
  readonly onError: ReportError;
}

/**
 * One environment's Runtime API listener on the loopback: the paths of Lambda's Runtime API (and the
 * assignment path), answered only for the environment's own uid when sandboxed. Everything a request
 * carries is the function's code talking: nothing it sends may throw out of here or leave a rejected
 * promise unhandled, since either would end the whole server.
 */
export class RuntimeApiEndpoint {
  readonly #o: RuntimeApiOptions;
  readonly #server: Server;
  /** Sockets whose peer has been checked to be this environment's own uid. */
  readonly #trusted = new WeakMap<Socket, Promise<boolean>>();

  constructor(options: RuntimeApiOptions) {
    this.#o = options;
    this.#server = createServer({ keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 60_000 }, (req, res) => this.#route(req, res));
    this.#server.keepAliveTimeout = 0;
  }

  /** Listens on a free loopback port; the `host:port` runtimes are given as AWS_LAMBDA_RUNTIME_API. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    return `127.0.0.1:${port}`;
  }

  close(): void {
    this.#server.close();
    this.#server.closeAllConnections();
  }

  #route(req: IncomingMessage, res: ServerResponse): void {
    const uid = this.#o.uid();
    if (uid === undefined) {
      // Sandboxed but not started yet: nobody is entitled to this endpoint (another environment may
      // have found the new listener on the shared loopback).
      if (this.#o.sandboxed) return this.#refuse(req, res);
      return this.#dispatch(req, res);
    }
    // Sandboxed: only this environment's own uid may use its Runtime API (others share the loopback).
    let trusted = this.#trusted.get(req.socket);
    if (trusted === undefined) {
      trusted = peerUid(req.socket).then((peer) => peer === uid);
      this.#trusted.set(req.socket, trusted);
    }
    trusted.then(
      (ok) => (ok ? this.#dispatch(req, res) : this.#refuse(req, res)),
      () => this.#refuse(req, res), // the socket table could not be read: nobody is trusted then
    );
  }

  #refuse(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    send(res, 403, { errorMessage: 'This Runtime API belongs to another execution environment.', errorType: 'AccessDeniedException' });
    req.socket.destroySoon();
  }

  #dispatch(req: IncomingMessage, res: ServerResponse): void {
    try {
      this.#serve(req, res)?.catch((error: unknown) => this.#abandonRequest(req, res, error));
    } catch (error) {
      this.#abandonRequest(req, res, error);
    }
  }

  #serve(req: IncomingMessage, res: ServerResponse): Promise<void> | undefined {
    const { handlers } = this.#o;
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') return void handlers.next(res);
    if (req.method === 'GET' && url === ASSIGNMENT_PATH) return void handlers.awaitAssignment(res);
    if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') return handlers.initError(req, res);
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && match) {
      // A request id that does not decode (`%E0%A4%A`) is no invocation's: refused like any unknown id.
      const requestId = decodePathSegment(match[1]!);
      if (requestId === undefined) {
        req.resume();
        return void send(res, 400, invalidRequestId());
      }
      return match[2] === 'response' ? handlers.response(requestId, req, res) : handlers.error(requestId, req, res);
    }
    req.resume();
    send(res, 404, { errorMessage: `Unknown Runtime API path: ${req.method} ${url}`, errorType: 'NotFound' });
    return undefined;
  }

  /**
   * A request that could not be served: typically a post whose connection closed before its body was
   * complete (`Error: aborted`) — then it is no answer at all, and the invocation stays current until the
   * runtime posts again, exits or times out. Anything else unexpected is reported, and the runtime told.
   */
  #abandonRequest(req: IncomingMessage, res: ServerResponse, error: unknown): void {
    const aborted =
      req.destroyed || (error as NodeJS.ErrnoException | undefined)?.code === 'ECONNRESET' || (error instanceof Error && error.message === 'aborted');
    if (!aborted) this.#o.onError(`serving ${req.method} ${req.url} to environment ${this.#o.environmentId}`, error);
    if (!res.headersSent && !res.destroyed) send(res, 500, { errorMessage: 'The platform could not serve this request.', errorType: 'ServiceException' });
    req.socket.destroySoon();
  }
}

/** A JSON answer to the runtime. */
export function send(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

/** A `%`-escaped path segment, or undefined when it is not valid UTF-8 percent-encoding. */
function decodePathSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export const invalidRequestId = () => ({ errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
