import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Handlers waiting at the gate, by tag; released all at once by the test. A function holds itself at
 * the gate with an HTTP GET to `url(tag)`, so a test can know (not guess by timing) how many run at once.
 */
export class Gate {
  readonly #server: Server;
  readonly #held = new Map<string, ServerResponse[]>();
  #base = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const tag = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
      const list = this.#held.get(tag) ?? [];
      list.push(res);
      this.#held.set(tag, list);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  url(tag: string): string {
    return `${this.#base}/${encodeURIComponent(tag)}`;
  }

  held(tag: string): number {
    return this.#held.get(tag)?.length ?? 0;
  }

  release(tag: string): void {
    for (const res of this.#held.get(tag) ?? []) res.end('go');
    this.#held.delete(tag);
  }

  async close(): Promise<void> {
    for (const tag of [...this.#held.keys()]) this.release(tag);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
