import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';

const hexPort = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');

/**
 * The host uid that owns the other end of a loopback TCP connection, from the kernel's socket table
 * (/proc/net/tcp: `sl local rem st queues tr retrnsmt uid ...`, addresses as hex `IP:PORT`). Every
 * sandboxed environment runs as its own uid, so this tells which environment connected.
 */
export async function peerUid(socket: Socket): Promise<number | undefined> {
  const { remotePort, localPort } = socket;
  if (remotePort === undefined || localPort === undefined) return undefined;
  // The peer's own socket: its local end is the port it connected from, its remote end our listener.
  const peerEnd = `0100007F:${hexPort(remotePort)}`;
  const ourEnd = `0100007F:${hexPort(localPort)}`;
  const table = await readFile('/proc/net/tcp', 'latin1').catch(() => '');
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[1] === peerEnd && fields[2] === ourEnd) return Number(fields[7]);
  }
  return undefined;
}
