import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * One long-lived python3 process running a script given inline (`-I -S -c`), spoken to in lines: the
 * common part of the mount helper and the spawn helper. It reports each line it writes, and once, why it
 * is gone (python3 missing, killed, its input closed). Idle, it is no reason to keep the platform
 * running; its owner holds it while it waits for answers.
 */
export class PythonHelper {
  readonly #child: ChildProcess;
  #gone: Error | undefined;

  constructor(
    name: string,
    options: { script: string; args?: readonly string[]; python?: string; onLine: (line: string) => void; onGone: (error: Error) => void },
  ) {
    this.#child = spawn(options.python ?? 'python3', ['-I', '-S', '-c', options.script, ...(options.args ?? [])], { stdio: ['pipe', 'pipe', 'ignore'] });
    createInterface({ input: this.#child.stdout! }).on('line', options.onLine);
    const gone = (why: string) => {
      if (this.#gone !== undefined) return;
      this.#gone = new Error(`the ${name} ${why}`);
      options.onGone(this.#gone);
    };
    this.#child.once('error', (error) => gone(`could not run: ${error.message}`));
    // A helper that died between two requests: the write that finds its input closed must not throw.
    this.#child.stdin!.on('error', (error) => gone(`closed its input: ${error.message}`));
    this.#child.once('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
    this.hold(false);
  }

  /** Why it stopped; undefined while it runs (a helper that failed once is not asked again). */
  get gone(): Error | undefined {
    return this.#gone;
  }

  send(line: string): void {
    this.#child.stdin!.write(`${line}\n`);
  }

  /** Whether the platform must keep running for it: while it has something to answer. */
  hold(on: boolean): void {
    const stdout = this.#child.stdout as unknown as { ref?: () => void; unref?: () => void };
    if (on) {
      this.#child.ref();
      stdout.ref?.();
    } else {
      this.#child.unref();
      stdout.unref?.();
    }
  }

  /** Ends it: its script ends with its input. */
  close(): void {
    this.#child.stdin!.end();
  }
}
