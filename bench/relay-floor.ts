import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { announce, exitWhenParentLeaves } from './children.js';

// The relay floor: the least an invoke can cost when the handler runs in another process, on this
// machine with this client. One node:http server takes the client's POST, hands its body to a runtime
// process that waits on GET /next (a raw HTTP/1.1 loop like selfless's Node runtime client), takes the
// runtime's POST /response, answers it 202 and the client 200: the three loopback exchanges of a Lambda
// invoke, with nothing else — no signatures, routing, limits, sandbox, logs or metering.

const RUNTIMES = Number(process.env.RELAY_RUNTIMES ?? '10');

const waiting: ServerResponse[] = [];
const queued: { id: string; body: Buffer }[] = [];
const callers = new Map<string, ServerResponse>();
let nextId = 0;

function readBody(req: NodeJS.ReadableStream, done: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => done(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
}

function hand(next: ServerResponse, work: { id: string; body: Buffer }): void {
  next.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': work.body.length, 'Lambda-Runtime-Aws-Request-Id': work.id });
  next.end(work.body);
}

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'GET' && url === '/next') {
    const work = queued.shift();
    if (work === undefined) waiting.push(res);
    else hand(res, work);
    return;
  }
  if (req.method === 'POST' && url.startsWith('/response/')) {
    const id = url.slice('/response/'.length);
    readBody(req, (body) => {
      res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': 15 });
      res.end('{"status":"OK"}');
      const caller = callers.get(id);
      callers.delete(id);
      caller?.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      caller?.end(body);
    });
    return;
  }
  readBody(req, (body) => {
    const work = { id: String(nextId++), body };
    callers.set(work.id, res);
    const next = waiting.shift();
    if (next === undefined) queued.push(work);
    else hand(next, work);
  });
});
server.keepAliveTimeout = 0;

const runtimes: ChildProcess[] = [];
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  const entry = fileURLToPath(new URL('./relay-runtime.js', import.meta.url));
  for (let i = 0; i < RUNTIMES; i++) runtimes.push(spawn(process.execPath, [entry, String(port)], { stdio: 'inherit' }));
  announce({ url: `http://127.0.0.1:${port}` });
});

exitWhenParentLeaves(async () => {
  for (const runtime of runtimes) runtime.kill('SIGKILL');
  server.closeAllConnections();
  server.close();
});
