import { PythonHelper } from '../python-helper.js';

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
  readonly #helper: PythonHelper;
  readonly #waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];

  private constructor(python: string) {
    this.#helper = new PythonHelper('mount helper', {
      script: HELPER,
      python,
      onLine: (line) => {
        const next = this.#waiting.shift();
        if (this.#waiting.length === 0) this.#helper.hold(false);
        if (line === 'ok') next?.resolve();
        else next?.reject(new Error(line));
      },
      onGone: (error) => {
        for (const waiter of this.#waiting.splice(0)) waiter.reject(error);
      },
    });
  }

  /** Starts the helper with `python` (python3 from PATH); it ends when the platform does (its stdin closes). */
  static start(python = 'python3'): MountHelper {
    return new MountHelper(python);
  }

  /** Whether it is still running (a helper that failed once is not asked again). */
  get alive(): boolean {
    return this.#helper.gone === undefined;
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
    this.#helper.close();
  }

  #ask(request: string[]): Promise<void> {
    const gone = this.#helper.gone;
    if (gone !== undefined) return Promise.reject(gone);
    return new Promise((resolve, reject) => {
      if (this.#waiting.length === 0) this.#helper.hold(true);
      this.#waiting.push({ resolve, reject });
      this.#helper.send(JSON.stringify(request));
    });
  }
}
