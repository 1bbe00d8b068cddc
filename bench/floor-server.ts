import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce, exitWhenParentLeaves } from './children.js';

// The floor: the least an HTTP JSON round trip can cost on this machine with this client.
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  announce({ url: `http://127.0.0.1:${port}` });
});

exitWhenParentLeaves(async () => {
  server.closeAllConnections();
  server.close();
});
