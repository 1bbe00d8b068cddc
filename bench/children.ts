import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A server the benchmark runs in its own process, so it never shares an event loop with the load generator. */
export interface ChildServer<T> {
  readonly label: string;
  readonly pid: number;
  /** What the child printed as its first stdout line (JSON). */
  readonly info: T;
  /** SIGTERM, then SIGKILL if it has not exited in time. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<ChildServer<unknown>>();

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 8_000;

export async function startChild<T>(label: string, entry: URL, env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = []): Promise<ChildServer<T>> {
  const child = spawn(process.execPath, [...nodeArgs, fileURLToPath(entry)], {
    env: { ...process.env, ...env },
    // stdin stays an open pipe: its end tells the child that this process is gone, even after a SIGKILL.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stderrTail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 40) stderrTail.shift();
    process.stderr.write(`  [${label}] ${line}\n`);
  });

  const info = await new Promise<T>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let ready = false;
    const timer = setTimeout(() => fail(new Error(`${label} printed no ready line within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    lines.on('line', (line) => {
      if (ready) return void process.stderr.write(`  [${label}] ${line}\n`);
      ready = true;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        fail(new Error(`${label} printed something other than its JSON ready line: ${line}`));
      }
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      if (!ready) fail(new Error(`${label} exited before it was ready (${signal ?? `code ${code}`}):\n${stderrTail.join('\n')}`));
    });
  });

  let stopping: Promise<void> | undefined;
  const server: ChildServer<T> = {
    label,
    pid: child.pid!,
    info,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          await exited;
          clearTimeout(timer);
        }
        running.delete(server);
      })()),
  };
  running.add(server);
  return server;
}

/** Stops every child still running; for the cleanup path. */
export async function stopAllChildren(): Promise<void> {
  await Promise.allSettled([...running].map((c) => c.stop()));
}

/**
 * For child entries: runs `stop` once when the parent asks (SIGTERM/SIGINT) or disappears (stdin
 * closes), then exits, so no server outlives the benchmark.
 */
export function exitWhenParentLeaves(stop: () => Promise<void>): void {
  let stopping = false;
  const leave = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', leave);
  process.once('SIGINT', leave);
  process.stdin.once('end', leave);
  process.stdin.once('close', leave);
  process.stdin.resume();
}

/** The one stdout line a child entry prints when it is ready. */
export function announce(info: unknown): void {
  process.stdout.write(`${JSON.stringify(info)}\n`);
}
