/**
 * Host uids for environments: each live environment gets its own, so the kernel keeps environments
 * apart (signals, ptrace, /proc, files in /tmp) and the Runtime API can tell who connected. A uid is
 * handed out again only after its environment has stopped and every process of it is gone.
 * The range starts at a random offset so two platforms on one host rarely meet; the uids need no
 * passwd entry.
 */
export class UidAllocator {
  readonly #inUse = new Set<number>();
  #next: number;

  constructor(
    readonly base: number,
    readonly size: number,
  ) {
    this.#next = Math.floor(Math.random() * size);
  }

  allocate(): number {
    for (let tried = 0; tried < this.size; tried += 1) {
      const uid = this.base + ((this.#next + tried) % this.size);
      if (this.#inUse.has(uid)) continue;
      this.#inUse.add(uid);
      this.#next = (uid - this.base + 1) % this.size;
      return uid;
    }
    throw new Error(`all ${this.size} sandbox uids from ${this.base} are in use`);
  }

  release(uid: number): void {
    this.#inUse.delete(uid);
  }
}
