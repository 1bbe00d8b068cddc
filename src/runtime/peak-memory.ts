import { open, type FileHandle } from 'node:fs/promises';

const STATUS_BYTES = 4096;

/**
 * An environment's peak memory (VmHWM of its runtime process), for REPORT's Max Memory Used. The
 * status file stays open, so a reading is one pread; readings asked for while one is in flight share
 * it, which keeps a busy environment from queueing one per invocation.
 */
export class PeakMemoryProbe {
  readonly #handle: Promise<FileHandle | undefined>;
  readonly #buffer = Buffer.alloc(STATUS_BYTES);
  #reading: Promise<number> | undefined;
  #lastMb = 0;

  constructor(pid: number) {
    // Not on Linux (no /proc): readings stay at 0.
    this.#handle = open(`/proc/${pid}/status`, 'r').catch(() => undefined);
  }

  /** Megabytes, rounded up as Lambda reports them; the last reading once the process is gone. */
  read(): Promise<number> {
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async close(): Promise<void> {
    await (await this.#handle)?.close().catch(() => undefined);
  }

  async #read(): Promise<number> {
    const handle = await this.#handle;
    if (handle === undefined) return this.#lastMb;
    try {
      const { bytesRead } = await handle.read(this.#buffer, 0, STATUS_BYTES, 0);
      const kb = /VmHWM:\s+(\d+) kB/.exec(this.#buffer.toString('latin1', 0, bytesRead))?.[1];
      if (kb !== undefined) this.#lastMb = Math.ceil(Number(kb) / 1024);
    } catch {
      // The process just ended: keep the last reading.
    }
    return this.#lastMb;
  }
}
