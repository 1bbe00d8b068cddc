import { writeFileSync } from 'node:fs';
import { processTree } from './process-tree.js';

/**
 * Holds an idle environment still between invocations, as Lambda freezes its execution environments:
 * whatever a function left running in the background gets no CPU until the next invocation thaws it.
 * Both calls are synchronous, so a thaw has taken effect before the next event is handed over.
 */
export interface Freezer {
  freeze(): void;
  thaw(): void;
}

/**
 * cgroup v2's freezer (`cgroup.freeze`): the kernel stops every process of the group at once, forks
 * included, and a frozen process still dies on SIGKILL (v1's freezer does not let SIGKILL through,
 * which would keep a frozen environment alive after the platform is killed outright; it is not used).
 */
export function cgroupFreezer(groupDir: string): Freezer {
  return {
    freeze: () => writeControl(`${groupDir}/cgroup.freeze`, '1'),
    thaw: () => writeControl(`${groupDir}/cgroup.freeze`, '0'),
  };
}

/** A write to a cgroup control file whose group may already be gone with its environment. */
function writeControl(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    // The environment ended: nothing left to freeze or thaw.
  }
}

const WALKS = 5;

/**
 * Freezing where no cgroup v2 freezer is at hand: SIGSTOP to every process under the environment's
 * first process, SIGCONT to the same ones on thaw; a stopped process still dies on SIGKILL. Weaker
 * than the kernel's freezer: listing the tree takes a moment, so the walk is repeated until it finds
 * no process it has not stopped (a few times at most), and outside a sandbox a process that left the
 * tree (a double fork) is not found. Inside one, the sandbox's init adopts orphans, so all are found.
 */
export class SignalFreezer implements Freezer {
  #generation = 0;
  readonly #stopped = new Set<number>();

  constructor(private readonly rootPid: number) {}

  freeze(): void {
    const generation = ++this.#generation;
    void this.#stopTree(generation).catch(() => undefined);
  }

  thaw(): void {
    this.#generation += 1;
    for (const pid of this.#stopped) signal(pid, 'SIGCONT');
    this.#stopped.clear();
  }

  async #stopTree(generation: number): Promise<void> {
    for (let walk = 0; walk < WALKS; walk += 1) {
      const tree = await processTree(this.rootPid);
      // Thawed (or frozen again) while the tree was read: that call decides now.
      if (generation !== this.#generation) return;
      const fresh = tree.filter((pid) => !this.#stopped.has(pid));
      if (fresh.length === 0) return;
      for (const pid of fresh) {
        signal(pid, 'SIGSTOP');
        this.#stopped.add(pid);
      }
    }
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}
