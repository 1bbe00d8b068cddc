import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time of a server and its child processes (the platform's runtime environments), from /proc.
 * Throughput and latency on a shared 2-core machine swing with the neighbours' load; CPU time spent
 * per request swings far less, so it says where the cost is even on a noisy run. Linux only: elsewhere
 * every reading is undefined and the figures are left out.
 */
export interface CpuSnapshot {
  readonly server: number | undefined;
  /** Per descendant pid, ms. */
  readonly children: ReadonlyMap<number, number>;
  readonly client: NodeJS.CpuUsage;
}

export interface CpuPerRequest {
  /** µs of the server process per 2xx response. */
  readonly serverUs: number | undefined;
  /** µs of every process below it per 2xx response (the runtimes, for the platform). */
  readonly childrenUs: number | undefined;
  /** µs of this process (the load generator) per 2xx response. */
  readonly clientUs: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of one process, in ms. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks();
  } catch {
    return undefined;
  }
}

/**
 * Every process below `pid`, however deep: for the platform, its runtime environments (a sandboxed
 * runtime runs under bubblewrap, a grandchild, so children alone would miss it).
 */
export function descendantPids(pid: number): Promise<number[]> {
  return new Promise((resolve) => {
    execFile('ps', ['-e', '-o', 'pid=,ppid='], (error, stdout) => {
      if (error) return resolve([]);
      const children = new Map<number, number[]>();
      for (const line of stdout.split('\n')) {
        const [child, parent] = line.trim().split(/\s+/).map(Number);
        if (!child || parent === undefined) continue;
        const siblings = children.get(parent);
        if (siblings === undefined) children.set(parent, [child]);
        else siblings.push(child);
      }
      // Breadth first: `found` is its own queue.
      const found = [...(children.get(pid) ?? [])];
      for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
      resolve(found);
    });
  });
}

/** Processes whose parent is `pid`: for the platform, its runtime environments (or their sandboxes). */
export function childPids(pid: number): Promise<number[]> {
  return new Promise((resolve) => {
    execFile('ps', ['-o', 'pid=', '--ppid', String(pid)], (error, stdout) => {
      // ps exits 1 when there are none; any other failure just means no per-child figures.
      if (error && error.code !== 1) return resolve([]);
      resolve(
        stdout
          .split('\n')
          .map((l) => Number(l.trim()))
          .filter((n) => n > 0),
      );
    });
  });
}

export async function cpuSnapshot(serverPid: number | undefined): Promise<CpuSnapshot> {
  const children = new Map<number, number>();
  if (serverPid !== undefined) {
    for (const pid of await descendantPids(serverPid)) {
      const ms = processCpuMs(pid);
      if (ms !== undefined) children.set(pid, ms);
    }
  }
  return { server: serverPid === undefined ? undefined : processCpuMs(serverPid), children, client: process.cpuUsage() };
}

export function cpuPerRequest(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuPerRequest {
  const per = (ms: number) => (ms * 1000) / Math.max(1, requests);
  const clientUs = after.client.user - before.client.user + after.client.system - before.client.system;
  let childrenMs = 0;
  // Children that started during the run count from zero; ones that ended are lost (rare once warm).
  for (const [pid, ms] of after.children) childrenMs += ms - (before.children.get(pid) ?? 0);
  return {
    serverUs: before.server === undefined || after.server === undefined ? undefined : per(after.server - before.server),
    childrenUs: after.children.size === 0 && before.children.size === 0 ? undefined : per(childrenMs),
    clientUs: clientUs / Math.max(1, requests),
  };
}
