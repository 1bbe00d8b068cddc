import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { ZipEntry } from './zip.js';
import { ensureLambdaRole } from './roles.js';

/** The package root: dist/test/support → ../../.. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * A provided.al2023 function whose `bootstrap` is a shell loop driving the Runtime API with curl. For each
 * event it runs `handler` (shell code; the event is `$1`) and answers with everything it printed, stdout
 * and stderr, as a JSON string of base64 (read it back with `shellOutput`), so a hostile script may print
 * anything at all. The handler runs in a subshell: whatever it sets or breaks stays there.
 */
export function shellFunction(handler: string): Record<string, ZipEntry> {
  const bootstrap = `#!/bin/sh
handle() {
${handler}
}
__api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  __headers=$(mktemp)
  __event=$(curl -sS -D "$__headers" "$__api/invocation/next") || exit 1
  __id=$(grep -i '^lambda-runtime-aws-request-id:' "$__headers" | cut -d' ' -f2 | tr -d '\\r')
  rm -f "$__headers"
  __out=$(mktemp)
  (handle "$__event") >"$__out" 2>&1
  printf '"%s"' "$(base64 -w0 <"$__out")" | curl -sS -o /dev/null -X POST --data-binary @- "$__api/invocation/$__id/response"
  rm -f "$__out"
done
`;
  return { bootstrap: { content: bootstrap, mode: 0o100755 } };
}

/** What a `shellFunction` printed for one invocation. */
export function shellOutput(payload: Uint8Array | undefined): string {
  const text = Buffer.from(payload ?? new Uint8Array()).toString('utf8');
  return Buffer.from(JSON.parse(text) as string, 'base64').toString('utf8');
}

/** Loopback TCP ports a process is listening on, from its socket descriptors and the kernel's socket table. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // Closed while we looked.
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/tcp', 'latin1').split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== '0A' || !fields[1]!.startsWith('0100007F:')) continue;
    if (inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(':')[1]!, 16));
  }
  return ports;
}

/** Free bytes on the filesystem holding `path`. */
export async function freeBytes(path: string): Promise<number> {
  const { statfs } = await import('node:fs/promises');
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
}

export interface ServerProcess {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly client: LambdaClient;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, wait for the exit, remove the data dir. Resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The real server, `selfless serve --port 0`, as a child process of the test (as an operator runs it), with
 * a fresh data dir. `fd3` is handed to it as its descriptor 3, as a careless launcher would leave one open.
 */
export async function startServerProcess(options: { fd3?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'selfless-hostile-'));
  const stdio: StdioOptions = options.fd3 === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe', options.fd3];
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'selfless.js'), 'serve', '--port', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio,
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Never outlive the test, whatever happens to it.
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  void exited.then(() => process.off('exit', orphanGuard));
  const cleanup = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not start within 60 s:\n${output}`)), 60_000);
      const check = () => {
        const match = /selfless listening on (\S+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code}) before it was ready:\n${output}`));
      });
    });
  } catch (error) {
    await cleanup();
    throw error;
  }
  const credentials = JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  // The role the suite's functions run as (ROLE); CreateFunction refuses one IAM does not hold.
  await ensureLambdaRole({ url, region: 'us-east-1', credentials });
  const client = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    maxAttempts: 1,
  });
  return {
    process: child,
    pid: child.pid!,
    url,
    port: Number(new URL(url).port),
    dataDir,
    client,
    output: () => output,
    stop: async () => {
      client.destroy();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      await cleanup();
      return code;
    },
  };
}
