import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AwsError, readLimitedBody } from '../core/index.js';
import { COOKIE, type ConsoleSessions } from './sessions.js';

/** Where the console's own files are: `console/` at the package root (shipped with it). */
const CONSOLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'console');
/** The console's calls to the platform's APIs: `/console/aws/<the API's own path>`, see server.ts. */
export const CONSOLE_API_PREFIX = '/console/aws/';

/** The front-end libraries, served by selfless itself (no CDN): Preact and htm, ES modules as published. */
const VENDOR: Readonly<Record<string, string>> = {
  'preact.js': fileURLToPath(import.meta.resolve('preact')),
  'hooks.js': fileURLToPath(import.meta.resolve('preact/hooks')),
  'htm.js': fileURLToPath(import.meta.resolve('htm')),
};
const ASSETS: Readonly<Record<string, string>> = { 'app.js': 'text/javascript', 'style.css': 'text/css' };

interface Page {
  readonly html: Buffer;
  /** The page's content security policy: its one inline script (the import map) allowed by hash. */
  readonly csp: string;
}

/**
 * The web console's page, files and sign-in (`/console`, `/console/session`). The page and its code
 * hold no data and are public; every piece of data comes through the API routes under
 * CONSOLE_API_PREFIX, each authenticated by the session and its CSRF token, and authorized as the
 * signed-in access key's calls are.
 */
export class ConsoleServer {
  readonly #files = new Map<string, { body: Buffer; type: string }>();
  #page: Page | undefined;

  constructor(private readonly sessions: ConsoleSessions) {}

  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    try {
      if (pathname === '/console' || pathname === '/console/') return this.#sendPage(res);
      if (pathname === '/console/session') return await this.#session(req, res);
      const asset = /^\/console\/(assets|vendor)\/([a-z.]+)$/.exec(pathname);
      if (asset !== null && req.method === 'GET') {
        const file = this.#file(asset[1] as 'assets' | 'vendor', asset[2]!);
        if (file !== undefined) return send(res, 200, file.type, file.body);
      }
      send(res, 404, 'text/plain', Buffer.from('Not found'));
    } catch (error) {
      const aws = error instanceof AwsError ? error : new AwsError('ServiceException', 'An internal error occurred; see the server log.');
      send(res, aws.status, 'application/json', Buffer.from(JSON.stringify({ __type: aws.code, message: aws.message })), aws.headers);
    }
  }

  #sendPage(res: ServerResponse): void {
    this.#page ??= loadPage();
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': this.#page.csp,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    });
    res.end(this.#page.html);
  }

  async #session(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') {
      const session = this.sessions.find(req.headers.cookie);
      const body = session === undefined ? { signedIn: false } : { signedIn: true, csrfToken: session.csrfToken, principalArn: session.caller.principalArn };
      return send(res, 200, 'application/json', Buffer.from(JSON.stringify(body)));
    }
    if (req.method === 'DELETE') {
      this.sessions.signOut(req.headers.cookie);
      res.setHeader('Set-Cookie', `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0`);
      return send(res, 204, 'text/plain', Buffer.alloc(0));
    }
    if (req.method !== 'POST') return send(res, 405, 'text/plain', Buffer.from('Method not allowed'));
    const raw = await readLimitedBody(req, 16 * 1024);
    let body: { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown };
    try {
      body = JSON.parse(raw?.toString('utf8') ?? '') as typeof body;
    } catch {
      throw new AwsError('ValidationException', 'Sign in with a JSON body: {"accessKeyId": …, "secretAccessKey": …}.');
    }
    if (typeof body.accessKeyId !== 'string' || typeof body.secretAccessKey !== 'string') {
      throw new AwsError('ValidationException', 'Sign in with an access key ID and its secret access key.');
    }
    const token = typeof body.sessionToken === 'string' && body.sessionToken !== '' ? body.sessionToken : undefined;
    const { id, csrfToken, caller } = this.sessions.signIn(body.accessKeyId, body.secretAccessKey, token, req.socket.remoteAddress ?? '');
    res.setHeader('Set-Cookie', `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/console; Max-Age=28800`);
    send(res, 200, 'application/json', Buffer.from(JSON.stringify({ signedIn: true, csrfToken, principalArn: caller.principalArn })));
  }

  #file(folder: 'assets' | 'vendor', name: string): { body: Buffer; type: string } | undefined {
    const key = `${folder}/${name}`;
    let file = this.#files.get(key);
    if (file === undefined) {
      const path = folder === 'vendor' ? VENDOR[name] : ASSETS[name] === undefined ? undefined : join(CONSOLE_DIR, name);
      if (path === undefined) return undefined;
      file = { body: readFileSync(path), type: folder === 'vendor' ? 'text/javascript' : ASSETS[name]! };
      this.#files.set(key, file);
    }
    return file;
  }
}

function loadPage(): Page {
  const html = readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8');
  const inline = /<script type="importmap">([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
  const hash = createHash('sha256').update(inline).digest('base64');
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
  return { html: Buffer.from(html), csp };
}

function send(res: ServerResponse, status: number, type: string, body: Buffer, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': type,
    'Content-Length': body.length,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
