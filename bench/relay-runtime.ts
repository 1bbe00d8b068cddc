import { connect } from 'node:net';

// The relay floor's runtime (see relay-floor.ts): GET /next, echo the event to POST /response/ID, read
// the 202, again; one keep-alive socket, each request written in one piece, responses parsed by hand.

const port = Number(process.argv[2]);
const socket = connect({ host: '127.0.0.1', port, noDelay: true });
let buffered: Buffer = Buffer.alloc(0);
let expectingEvent = true;

function ask(): void {
  expectingEvent = true;
  socket.write(`GET /next HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
}

socket.on('connect', ask);
socket.on('data', (chunk: Buffer) => {
  buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
  for (;;) {
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buffered.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (buffered.length < end + 4 + length) return;
    const body = buffered.subarray(end + 4, end + 4 + length);
    buffered = buffered.subarray(end + 4 + length);
    if (expectingEvent) {
      const id = /\r\nlambda-runtime-aws-request-id: *(\S+)/i.exec(head)?.[1] ?? '';
      expectingEvent = false;
      socket.write(
        Buffer.concat([
          Buffer.from(`POST /response/${id} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`),
          body,
        ]),
      );
    } else ask();
  }
});
socket.on('error', () => process.exit(1));
socket.on('close', () => process.exit(0));
