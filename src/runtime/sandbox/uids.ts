import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from './pid-alive.js';

/**
 * Where the uid locks of every platform on this host live. Under /run (root-only, gone at reboot, as
 * the environments are) rather than in a data dir, since two platforms with different data dirs must
 * still see each other's uids.
 */
export const HOST_UID_LOCKS = '/run/selfless/uids';

/** The start time of a process (clock ticks after boot, /proc/<pid>/stat field 22): a pid plus it names one process for good. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const OWNER = `${process.pid} ${startTime(process.pid) ?? ''}`;

/** Whether a lock's owner (`pid starttime`) is a process still running. */
function ownerAlive(owner: string): boolean {
  const [pid, started] = owner.trim().split(' ');
  const n = Number(pid);
  if (!Number.isInteger(n) || n <= 0 || !pidAlive(n)) return false;
  // A pid reused by another process since the lock was taken is not the owner.
  return started === undefined || started === '' || startTime(n) === undefined || startTime(n) === started;
}

/**
 * Host uids for environments: each live environment gets its own, so the kernel keeps environments
 * apart (signals, ptrace, /proc, files in /tmp) and the Runtime API can tell who connected. A uid is
 * handed out again only after its environment has stopped and every process of it is gone.
 *
 * Every platform on the host draws from the same range, so a uid is taken under a host-wide lock: a
 * file per uid in `lockDir`, created exclusively, naming its owner process (pid and start time). A lock
 * whose owner has died (kill -9) is taken over. The range starts at a random offset so platforms rarely
 * contend; the uids need no passwd entry.
 */
export class UidAllocator {
  readonly #inUse = new Set<number>();
  #next: number;

  constructor(
    readonly base: number,
    readonly size: number,
    readonly lockDir: string = HOST_UID_LOCKS,
  ) {
    this.#next = Math.floor(Math.random() * size);
  }

  allocate(): number {
    mkdirSync(this.lockDir, { recursive: true, mode: 0o700 });
    for (let tried = 0; tried < this.size; tried += 1) {
      const uid = this.base + ((this.#next + tried) % this.size);
      if (this.#inUse.has(uid) || !this.#lock(uid)) continue;
      this.#inUse.add(uid);
      this.#next = (uid - this.base + 1) % this.size;
      return uid;
    }
    throw new Error(`all ${this.size} sandbox uids from ${this.base} are in use on this host`);
  }

  release(uid: number): void {
    if (!this.#inUse.delete(uid)) return;
    unlinkQuietly(join(this.lockDir, String(uid)));
  }

  /** Takes the uid's lock file; false while another live process holds it. */
  #lock(uid: number): boolean {
    const path = join(this.lockDir, String(uid));
    for (let attempt = 0; attempt < 2; attempt += 1) {
      if (createExclusive(path)) return true;
      const owner = readOwner(path);
      if (owner === undefined) continue; // released meanwhile: try again
      // Just created, its owner not yet written: held.
      if (owner === '' || ownerAlive(owner)) return false;
      this.#reap(path, owner);
    }
    return false;
  }

  /**
   * Removes a dead owner's lock. Only under the reaper lock: two platforms that both saw the dead owner
   * must not both remove a lock, the second one taking away the lock the first had just created.
   */
  #reap(path: string, deadOwner: string): void {
    const reaper = join(this.lockDir, 'reaper');
    if (!createExclusive(reaper)) {
      const holder = readOwner(reaper);
      // A reaper that died while holding it (a window of microseconds) is removed; the next try reaps.
      if (holder !== undefined && holder !== '' && !ownerAlive(holder)) unlinkQuietly(reaper);
      return;
    }
    try {
      if (readOwner(path) === deadOwner) unlinkQuietly(path);
    } finally {
      unlinkQuietly(reaper);
    }
  }
}

/** Creates `path` holding our owner line; false when it exists. */
function createExclusive(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, OWNER);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Gone already.
  }
}
