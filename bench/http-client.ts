import { Agent, request, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  readonly status: number;
  readonly functionError: string | undefined;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
}

// node:http rather than fetch for timed requests: on Node 20 a fetch round trip to a bare echo server
// costs ~1 ms here against ~0.14 ms for node:http, which would swamp the platform's own share.
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** `via`: another keep-alive agent, for requests that must run side by side (the shared one has one socket). */
export function post(url: URL, headers: Record<string, string>, body: string, via: Agent = agent): Promise<Reply> {
  return send('POST', url, { ...headers, 'content-length': String(Buffer.byteLength(body)) }, via, body);
}

export function get(url: URL, headers: Record<string, string>, via: Agent = agent): Promise<Reply> {
  return send('GET', url, headers, via);
}

function send(method: string, url: URL, headers: Record<string, string>, via: Agent, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: via, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const functionError = res.headers['x-amz-function-error'];
        resolve({
          status: res.statusCode ?? 0,
          functionError: Array.isArray(functionError) ? functionError.join(',') : functionError,
          body: Buffer.concat(chunks).toString('utf8'),
          headers: res.headers,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Lets the process exit: keep-alive sockets would otherwise hold the event loop open. */
export function closeClient(): void {
  agent.destroy();
}
