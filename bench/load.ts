import autocannon from 'autocannon';
import { summarize } from './stats.js';

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  readonly durationS: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface LoadResult {
  readonly connections: number;
  readonly durationS: number;
  /** 2xx responses per second. */
  readonly rps: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/**
 * One closed-loop autocannon run: keep-alive connections, one request in flight on each.
 * Latencies come from each response's own timing rather than autocannon's histogram, which keeps
 * whole milliseconds and so cannot tell a 0.2 ms round trip from a 0.9 ms one.
 */
export function load(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        method: 'POST',
        headers: options.headers,
        body: options.body,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationS,
        timeout: 10,
      },
      (error: unknown, result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const s = summarize(latencies);
        resolve({
          connections: options.connections,
          durationS: result.duration,
          rps: result['2xx'] / result.duration,
          ok: result['2xx'],
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          p50Ms: s.p50Ms,
          p99Ms: s.p99Ms,
          maxMs: s.maxMs,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}
