import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Makes and removes the code mounts of pre-started sandboxes with mount(2) itself, from one small root
 * helper process started once: exec'ing mount(8) costs several milliseconds a time on a small VM (three
 * execs made up half of a pre-started cold start), a system call microseconds. Python's ctypes calls
 * libc, which saves shipping a native addon; a host without python3 keeps exec'ing mount(8).
 *
 * Each request is one line (`bind SOURCE STAGE SLOT` or `detach SLOT`, fields JSON-encoded), each answer
 * one line, in order: `ok`, or the errno's text.
 */
const HELPER = String.raw`
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = (ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p)
libc.umount2.argtypes = (ctypes.c_char_p, ctypes.c_int)
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_MOVE, MNT_DETACH = 1, 2, 4, 32, 4096, 8192, 2
def check(result, what):
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (what, os.strerror(err)))
def enc(path):
    return path.encode()
for line in sys.stdin:
    try:
        request = json.loads(line)
        if request[0] == "bind":
            source, stage, slot = map(enc, request[1:])
            check(libc.mount(source, stage, None, MS_BIND, None), "bind")
            try:
                check(libc.mount(None, stage, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None), "remount read-only")
                check(libc.mount(stage, slot, None, MS_MOVE, None), "move")
            except OSError:
                libc.umount2(stage, MNT_DETACH)  # nothing left half-made at the stage
                raise
        elif request[0] == "detach":
            check(libc.umount2(enc(request[1]), MNT_DETACH), "umount")
        else:
            raise ValueError("unknown request")
        answer = "ok"
    except Exception as error:
        answer = str(error).replace("\n", " ") or "failed"
    sys.stdout.write(answer + "\n")
    sys.stdout.flush()
`;

export class MountHelper {
  readonly #child: ChildProcess;
  readonly #waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  #gone: Error | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const next = this.#waiting.shift();
      if (this.#waiting.length === 0) this.#hold(false);
      if (line === 'ok') next?.resolve();
      else next?.reject(new Error(line));
    });
    const gone = (why: string) => {
      this.#gone ??= new Error(`the mount helper ${why}`);
      for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#gone);
    };
    child.once('error', (error) => gone(`could not run: ${error.message}`));
    // A helper that died between two requests: the write that finds its input closed must not throw.
    child.stdin?.on('error', (error) => gone(`closed its input: ${error.message}`));
    child.once('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
    this.#hold(false);
  }

  /** Idle, the helper is no reason to keep the platform running; asked, it is one until it answers. */
  #hold(on: boolean): void {
    const stdout = this.#child.stdout as unknown as { ref?: () => void; unref?: () => void };
    if (on) {
      this.#child.ref();
      stdout.ref?.();
    } else {
      this.#child.unref();
      stdout.unref?.();
    }
  }

  /** Starts the helper with `python` (python3 from PATH); it ends when the platform does (its stdin closes). */
  static start(python = 'python3'): MountHelper {
    return new MountHelper(spawn(python, ['-I', '-S', '-c', HELPER], { stdio: ['pipe', 'pipe', 'ignore'] }));
  }

  /** Whether it is still running (a helper that failed once is not asked again). */
  get alive(): boolean {
    return this.#gone === undefined;
  }

  /** `source` bound read-only (nosuid, nodev) at `stage`, then moved to `slot`, where the sandbox sees it. */
  bindReadOnly(source: string, stage: string, slot: string): Promise<void> {
    return this.#ask(['bind', source, stage, slot]);
  }

  /** A lazy unmount of `path` (umount -l). */
  detach(path: string): Promise<void> {
    return this.#ask(['detach', path]);
  }

  close(): void {
    this.#child.stdin?.end();
  }

  #ask(request: string[]): Promise<void> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) this.#hold(true);
      this.#waiting.push({ resolve, reject });
      this.#child.stdin!.write(`${JSON.stringify(request)}\n`);
    });
  }
}
