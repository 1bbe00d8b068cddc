import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * moto's server (`moto_server`, installed with Python): a real HTTP server speaking AWS's SQS, Kinesis,
 * DynamoDB (+ Streams), S3 and more — the stand-in for the AWS services event sources read in tests.
 * One per test file, on a free port, stopped by its pid. Its state lives in its memory: a restart starts empty.
 */
export interface Moto {
  readonly url: string;
  readonly port: number;
  /** The environment that points the AWS SDK (and the AWS CLI) at it. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
  /** Starts it again on the same port (empty), after stop(). */
  restart(): Promise<void>;
}

export const MOTO_ACCOUNT = '123456789012';

/** Why moto cannot run here, or undefined when it can. */
export function motoMissing(): string | undefined {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0 ? undefined : 'moto_server is not installed (pip install "moto[server]")';
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  let child = await launch(port);
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    env: {
      AWS_ENDPOINT_URL: url,
      AWS_ENDPOINT_URL_SQS: url,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    },
    stop: async () => {
      await kill(child);
    },
    restart: async () => {
      child = await launch(port);
    },
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/moto-api/`);
      await res.arrayBuffer();
      return child;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`moto_server did not start on port ${port}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** A loopback port nothing listens on right now (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
