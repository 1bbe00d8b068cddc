import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/moto.js';
import { post } from './http-client.js';
import type { Target } from './scenarios.js';

/** serverless-offline 13 with serverless 3, installed apart from the project: `npm ci --prefix bench/offline`. */
const DIR = fileURLToPath(new URL('../../bench/offline/', import.meta.url));
const CLI = `${DIR}node_modules/serverless/bin/serverless.js`;
/** `${service}-${stage}-${function}` of bench/offline/serverless.yml. */
const FUNCTION = 'bench-dev-echo';
const READY_TIMEOUT_MS = 60_000;

export interface OfflineServer {
  readonly pid: number;
  readonly target: Target;
  stop(): Promise<void>;
}

/** Why the serverless-offline rows cannot run here, or undefined when they can. */
export function offlineMissing(): string | undefined {
  return existsSync(CLI) ? undefined : `serverless-offline is not installed (npm ci --prefix bench/offline)`;
}

/**
 * Starts serverless-offline on free ports with the benchmark's echo handler, as its users start it,
 * and answers once its Lambda Invoke endpoint echoes: the same API and payload the platform's rows load.
 */
export async function startOffline(): Promise<OfflineServer> {
  const [httpPort, lambdaPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [CLI, 'offline', 'start', '--host', '127.0.0.1', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort)], {
    cwd: DIR,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = new URL(`http://127.0.0.1:${lambdaPort}/2015-03-31/functions/${FUNCTION}/invocations`);
  const stop = () => stopChild(child);
  try {
    await waitForEcho(url, child);
  } catch (error) {
    await stop();
    throw new Error(`serverless-offline did not start: ${error instanceof Error ? error.message : String(error)}\n${output.join('')}`);
  }
  const target: Target = { label: 'serverless-offline', url, pid: child.pid!, headers: async () => ({ 'content-type': 'application/json' }) };
  return { pid: child.pid!, target, stop };
}

async function waitForEcho(url: URL, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`it exited with code ${child.exitCode}`);
    try {
      const { status } = await post(url, { 'content-type': 'application/json' }, '{}');
      if (status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
