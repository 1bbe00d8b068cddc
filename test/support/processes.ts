import { readdirSync, readFileSync } from 'node:fs';

/** Host pids of every process running as `uid` (real uid), from /proc. */
export function processesOfUid(uid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const real = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/status`, 'latin1'))?.[1];
      if (Number(real) === uid) pids.push(Number(entry));
    } catch {
      // Ended while we looked.
    }
  }
  return pids;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
