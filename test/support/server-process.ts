import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LambdaClient } from '@aws-sdk/client-lambda';
import type { Platform } from '../../src/platform.js';
import { ensureLambdaRole } from './roles.js';

// Compiled to dist/test/support/, so the repository root is three levels up.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'selfless.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A process as it was seen: its pid and kernel start time, so a recycled pid is not mistaken for it. */
export interface SeenProcess {
  readonly pid: number;
  readonly startTime: string;
  readonly command: string;
}

/** `selfless serve` running as a child process, as an operator would run it. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Resolves when the process has exited (and its stdio closed). */
  readonly exited: Promise<Exit>;
  /** Everything the server printed so far, stdout and stderr interleaved. */
  output(): string;
  /** A Lambda client for this server with the root key from the data dir (no SDK retries). */
  client(): LambdaClient;
  /** Every process below the server right now (its environments and their children). */
  descendants(): SeenProcess[];
  /** Sends a signal (kill -9 is `kill('SIGKILL')`). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM (or `signal`), then waits for the exit; SIGKILLs it if it has not exited within `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit & { readonly forced: boolean }>;
}

export interface StartOptions {
  readonly dataDir: string;
  /** 0 (the default) picks a free port; a restart passes the port of the previous run. */
  readonly port?: number;
  /** Added to a minimal environment (PATH, HOME, the runtime cache and the isolation choice of the test run). */
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
}

/**
 * What reaches the server of the machine's own environment: its paths, the runtime cache and isolation
 * choice of the test run, and how it reaches the npm registry (a fresh machine downloads a Node build
 * on the first invoke: a proxy, or its CA, must get through). Nothing else: no selfless or AWS settings.
 */
const PASSED_THROUGH = [
  'PATH',
  'HOME',
  'SELFLESS_RUNTIME_CACHE',
  'XDG_CACHE_HOME',
  'SELFLESS_ISOLATION',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'npm_config_registry',
  'HTTPS_PROXY',
  'https_proxy',
  'HTTP_PROXY',
  'http_proxy',
  'NO_PROXY',
  'no_proxy',
];

/** The environment a user's shell would give the server (see PASSED_THROUGH), plus `extra`. */
export function serverEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of PASSED_THROUGH) if (process.env[key] !== undefined) env[key] = process.env[key];
  return { ...env, ...extra };
}

const READY = /^selfless listening on (http:\/\/[^\s:]+:(\d+))$/;
const OUTPUT_LIMIT = 200_000;

/** Starts `node bin/selfless.js serve` and resolves once it printed its ready line. */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const args = [BIN, 'serve', '--port', String(options.port ?? 0), '--data-dir', options.dataDir];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: serverEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const append = (text: string) => {
    output += text;
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  child.stderr!.setEncoding('utf8').on('data', append);
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));

  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`selfless serve printed no ready line within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`));
    }, options.readyTimeoutMs ?? 30_000);
    let found = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      append(`${line}\n`);
      const match = found ? null : READY.exec(line);
      if (match) {
        found = true;
        clearTimeout(timer);
        resolve(match);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`selfless serve exited (${signal ?? `code ${code}`}) before it was ready:\n${output}`));
    });
  });
  const key = JSON.parse(await readFile(join(options.dataDir, 'credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  const region = serverEnv(options.env).SELFLESS_REGION ?? 'us-east-1';
  const url = ready[1]!;
  const pid = child.pid!;
  // The role the suite's functions run as (ROLE); CreateFunction refuses one IAM does not hold.
  await ensureLambdaRole({ url, region, credentials: key });

  return {
    child,
    pid,
    url,
    port: Number(ready[2]),
    dataDir: options.dataDir,
    region,
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey },
    exited,
    output: () => output,
    client: () =>
      new LambdaClient({ endpoint: url, region, credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, maxAttempts: 1 }),
    descendants: () => descendantsOf(pid),
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stop: async (signal = 'SIGTERM', graceMs = 30_000) => {
      let forced = false;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => {
        forced = true;
        child.kill('SIGKILL');
      }, graceMs);
      const exit = await exited;
      clearTimeout(timer);
      return { ...exit, forced };
    },
  };
}

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly startTime: string;
}

/** /proc/<pid>/stat: the command may hold spaces and parentheses, so fields are counted after the last ')'. */
function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Field 3 (state) is fields[0]; 4 (ppid) fields[1]; 22 (starttime) fields[19].
  return { pid, ppid: Number(fields[1]), state: fields[0]!, startTime: fields[19]! };
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ').slice(0, 200);
  } catch {
    return '?';
  }
}

/** Every live process whose parent chain leads to `root`. */
export function descendantsOf(root: number): SeenProcess[] {
  const children = new Map<number, ProcStat[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat === undefined || stat.state === 'Z') continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(stat);
    children.set(stat.ppid, list);
  }
  const out: SeenProcess[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      out.push({ pid: child.pid, startTime: child.startTime, command: commandOf(child.pid) });
      walk(child.pid);
    }
  };
  walk(root);
  return out;
}

/** Those of `seen` that still run (the same process: same pid and start time, not a zombie). */
export function stillRunning(seen: readonly SeenProcess[]): SeenProcess[] {
  return seen.filter((p) => {
    const now = procStat(p.pid);
    return now !== undefined && now.startTime === p.startTime && now.state !== 'Z';
  });
}

/** Waits until none of `seen` runs, or `timeoutMs`; returns those still running. */
export async function waitGone(seen: readonly SeenProcess[], timeoutMs: number): Promise<SeenProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = stillRunning(seen);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A Platform-shaped view of a server process (URL, region, root key), for the helpers that take a Platform. */
export async function platformOf(server: ServerProcess): Promise<Platform> {
  const rootKey = JSON.parse(await readFile(join(server.dataDir, 'credentials.json'), 'utf8')) as unknown;
  return { url: server.url, config: { region: server.region }, rootKey } as unknown as Platform;
}
