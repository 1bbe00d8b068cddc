import { readFile } from 'node:fs/promises';
import { processTree } from './process-tree.js';

const PAGE_BYTES = 4096;
const EVERY_MS = 200;

async function residentBytes(pid: number): Promise<number> {
  // statm: size resident shared text lib data dt, in pages.
  const statm = await readFile(`/proc/${pid}/statm`, 'utf8').catch(() => '');
  return Number(statm.split(' ')[1] ?? 0) * PAGE_BYTES;
}

/**
 * Memory limit where the host has no cgroups: sums the resident memory of an environment's process tree
 * a few times a second and calls `onExceeded` once the sum passes the limit (the caller kills the
 * environment and reports Runtime.OutOfMemory). Coarser than a cgroup: a fast allocation can overshoot
 * between two readings, and processes that leave the tree (double fork) are not counted.
 */
export class RssWatchdog {
  #timer: NodeJS.Timeout | undefined;
  #exceeded = false;
  #peakBytes = 0;
  #busy = false;

  constructor(
    private readonly pid: number,
    private readonly limitBytes: number,
    private readonly onExceeded: () => void,
  ) {
    // A reading that fails (a process gone between listing and reading) is skipped: the next one decides.
    this.#timer = setInterval(() => void this.#check().catch(() => undefined), EVERY_MS);
    this.#timer.unref();
  }

  get exceeded(): boolean {
    return this.#exceeded;
  }

  get peakBytes(): number {
    return this.#peakBytes;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #check(): Promise<void> {
    if (this.#busy || this.#timer === undefined) return;
    this.#busy = true;
    try {
      let total = 0;
      for (const pid of await processTree(this.pid)) total += await residentBytes(pid);
      this.#peakBytes = Math.max(this.#peakBytes, total);
      if (total > this.limitBytes && !this.#exceeded) {
        this.#exceeded = true;
        this.stop();
        this.onExceeded();
      }
    } finally {
      this.#busy = false;
    }
  }
}
