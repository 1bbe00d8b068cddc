import { spawn as spawnChild, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, constants, mkdtempSync, openSync, rmSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PythonHelper } from './python-helper.js';

/** What an environment starts: the confined command, in its own session (process group). */
export interface SpawnRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  /** Written to the process's descriptor 3 (bubblewrap's seccomp program). */
  readonly fd3Input?: Buffer | undefined;
}

/**
 * A started runtime process, as the environment watches it: the events and members of a Node
 * ChildProcess it uses ('error' when it could not be executed, 'exit' with code and signal, 'close'
 * once it has exited and its output has ended).
 */
export interface RuntimeProcess {
  readonly pid?: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  once(event: 'error', listener: (error: NodeJS.ErrnoException) => void): this;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'close', listener: () => void): this;
}

export interface Spawner {
  spawn(request: SpawnRequest): Promise<RuntimeProcess>;
  /** Ends the helper (if any); processes it started are ended through their environments first. */
  close(): void;
}

/** Forks the platform itself: the fallback where python3 is missing. */
function forkPlatform(request: SpawnRequest): ChildProcess {
  const child = spawnChild(request.command, request.args, {
    cwd: request.cwd,
    env: request.env,
    stdio: ['ignore', 'pipe', 'pipe', request.fd3Input === undefined ? 'ignore' : 'pipe'],
    detached: true,
  });
  // A runtime killed before bubblewrap read the filter resets the pipe: nothing to report then.
  if (request.fd3Input !== undefined) (child.stdio[3] as NodeJS.WritableStream).on('error', () => undefined).end(request.fd3Input);
  return child;
}

/**
 * Spawns runtimes from one small python3 helper. fork(2) copies the page tables of the process that
 * calls it, so on a small VM a spawn from the platform (over 100 MB resident) blocks its event loop for
 * 5–10 ms, stalling every invocation in flight, once per environment started. The helper calls
 * posix_spawn (vfork and exec) from a process of a few MB: about half a millisecond, and not on the
 * platform's event loop.
 *
 * The runtime's output reaches the platform through two FIFOs the helper makes in a folder only the
 * platform's user can enter: the platform opens their read ends, the runtime gets the write ends as
 * stdout and stderr, and the paths are removed once it runs, so the platform reads real pipes, as
 * from a child of its own. The helper reaps the runtimes and reports each exit. It dies with the
 * platform (PR_SET_PDEATHSIG), and runtimes die with it as they died with the platform
 * (bubblewrap's --die-with-parent, setpriv --pdeathsig). Requests and answers are JSON lines.
 */
const HELPER = String.raw`
import base64, ctypes, errno, json, os, signal, sys, threading
ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != int(sys.argv[1]):
    sys.exit(0)
for fd in os.listdir("/proc/self/fd"):  # whatever the platform inherited and left open: runtimes get none of it
    if int(fd) > 2:
        try:
            os.close(int(fd))
        except OSError:
            pass
os.open("/dev/null", os.O_RDONLY)  # holds descriptor 3: a pipe made below never lands on the number it is given
lock = threading.Condition()
live = [0]
def say(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
def reap():
    while True:
        with lock:
            while live[0] == 0:
                lock.wait()
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            continue
        with lock:
            live[0] -= 1
            if os.WIFSIGNALED(status):
                try:
                    name = signal.Signals(os.WTERMSIG(status)).name
                except ValueError:
                    name = "SIGKILL"
                say({"exit": pid, "code": None, "signal": name})
            else:
                say({"exit": pid, "code": os.WEXITSTATUS(status), "signal": None})
threading.Thread(target=reap, daemon=True).start()
def executable(command, env):
    if "/" in command:
        return command
    for folder in env.get("PATH", os.defpath).split(":"):
        path = os.path.join(folder or ".", command)
        if os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    raise OSError(errno.ENOENT, os.strerror(errno.ENOENT))
def feed(fd, data):
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass
    finally:
        os.close(fd)
def spawn(request):
    env = request["env"]
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, request["stdout"], os.O_WRONLY, 0),
               (os.POSIX_SPAWN_OPEN, 2, request["stderr"], os.O_WRONLY, 0)]
    read = None
    if request.get("fd3") is not None:
        read, write = os.pipe()
        actions.append((os.POSIX_SPAWN_DUP2, read, 3))
        threading.Thread(target=feed, args=(write, base64.b64decode(request["fd3"])), daemon=True).start()
    try:
        os.chdir(request["cwd"])
        with lock:
            pid = os.posix_spawn(executable(request["command"], env), [request["command"]] + request["args"], env, file_actions=actions, setsid=True)
            live[0] += 1
            lock.notify()
            say({"id": request["id"], "pid": pid})
    finally:
        if read is not None:
            os.close(read)
for line in sys.stdin:
    request = json.loads(line)
    try:
        if request["op"] == "fifos":
            for path in request["paths"]:
                os.mkfifo(path, 0o600)
            with lock:
                say({"id": request["id"]})
        else:
            spawn(request)
    except OSError as error:
        with lock:
            say({"id": request["id"], "error": errno.errorcode.get(error.errno, "EIO"), "message": error.strerror or str(error)})
`;

interface Answer {
  readonly id?: number;
  readonly pid?: number;
  readonly error?: string;
  readonly message?: string;
  readonly exit?: number;
  readonly code?: number | null;
  readonly signal?: NodeJS.Signals | null;
}

/** A runtime the helper started: its output from the FIFOs, its exit from the helper's report. */
class HelperProcess extends EventEmitter implements RuntimeProcess {
  readonly stdout: Socket;
  readonly stderr: Socket;
  #open = 2;
  #exited = false;

  constructor(
    readonly pid: number,
    fds: readonly [number, number],
  ) {
    super();
    this.stdout = new Socket({ fd: fds[0], readable: true, writable: false });
    this.stderr = new Socket({ fd: fds[1], readable: true, writable: false });
    for (const stream of [this.stdout, this.stderr]) {
      stream.once('close', () => {
        this.#open -= 1;
        this.#closeIfDone();
      });
    }
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.emit('exit', code, signal);
    this.#closeIfDone();
  }

  #closeIfDone(): void {
    if (this.#exited && this.#open === 0) this.emit('close');
  }
}

/** A command the helper could not execute: reported as Node reports it, an 'error' then 'close'. */
class FailedProcess extends EventEmitter implements RuntimeProcess {
  readonly pid = undefined;
  readonly stdout = null;
  readonly stderr = null;
  constructor(error: NodeJS.ErrnoException) {
    super();
    setImmediate(() => {
      this.emit('error', error);
      this.emit('close');
    });
  }
}

export class HelperSpawner implements Spawner {
  readonly #helper: PythonHelper;
  readonly #folder: string;
  readonly #waiting = new Map<number, { resolve: (answer: Answer) => void; reject: (error: Error) => void }>();
  readonly #running = new Map<number, HelperProcess>();
  /** Exits read in the same chunk as their spawn's answer, before spawn() could register the process. */
  readonly #early = new Map<number, { code: number | null; signal: NodeJS.Signals | null }>();
  #nextId = 0;
  #fifoPairs = 0;

  private constructor(python: string) {
    this.#folder = mkdtempSync(join(tmpdir(), 'selfless-spawn-'));
    this.#helper = new PythonHelper('spawn helper', {
      script: HELPER,
      args: [String(process.pid)],
      python,
      onLine: (line) => this.#onLine(line),
      onGone: () => this.#onGone(),
    });
  }

  /** Starts the helper with `python` (python3 from PATH); a host without it gets forks of the platform. */
  static start(python = 'python3'): HelperSpawner {
    return new HelperSpawner(python);
  }

  async spawn(request: SpawnRequest): Promise<RuntimeProcess> {
    if (this.#helper.gone !== undefined) return forkPlatform(request);
    const base = join(this.#folder, String(++this.#fifoPairs));
    const paths = [`${base}.out`, `${base}.err`] as const;
    try {
      await this.#ask({ op: 'fifos', paths });
    } catch {
      return forkPlatform(request);
    }
    // Opened before the runtime opens the other ends, which would block otherwise; read from only
    // once it runs, as a FIFO nobody has opened for writing yet reads as ended.
    const fds: number[] = [];
    try {
      for (const path of paths) fds.push(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
      const answer = await this.#ask({
        op: 'spawn',
        command: request.command,
        args: request.args,
        cwd: request.cwd,
        env: request.env,
        stdout: paths[0],
        stderr: paths[1],
        fd3: request.fd3Input?.toString('base64') ?? null,
      });
      if (answer.error !== undefined) {
        for (const fd of fds.splice(0)) closeSync(fd);
        const error: NodeJS.ErrnoException = new Error(`spawn ${request.command} ${answer.error}`);
        error.code = answer.error;
        return new FailedProcess(error);
      }
      const child = new HelperProcess(answer.pid!, fds as [number, number]);
      fds.length = 0;
      this.#running.set(child.pid, child);
      child.once('exit', () => {
        this.#running.delete(child.pid);
        this.#hold();
      });
      this.#hold();
      const early = this.#early.get(child.pid);
      if (early !== undefined) {
        this.#early.delete(child.pid);
        // After the caller has attached its listeners.
        setImmediate(() => child.exited(early.code, early.signal));
      }
      return child;
    } catch (error) {
      for (const fd of fds) closeSync(fd);
      if (this.#helper.gone === undefined) throw error;
      return forkPlatform(request);
    } finally {
      for (const path of paths) {
        try {
          unlinkSync(path);
        } catch {
          // Never made (the helper failed first).
        }
      }
    }
  }

  close(): void {
    this.#helper.close();
    rmSync(this.#folder, { recursive: true, force: true });
  }

  #onLine(line: string): void {
    let answer: Answer;
    try {
      answer = JSON.parse(line) as Answer;
    } catch {
      return;
    }
    if (answer.exit !== undefined) {
      const exit = { code: answer.code ?? null, signal: answer.signal ?? null };
      const child = this.#running.get(answer.exit);
      if (child === undefined) this.#early.set(answer.exit, exit);
      else child.exited(exit.code, exit.signal);
      return;
    }
    const waiter = answer.id === undefined ? undefined : this.#waiting.get(answer.id);
    if (waiter === undefined) return;
    this.#waiting.delete(answer.id!);
    this.#hold();
    waiter.resolve(answer);
  }

  /**
   * The helper gone (killed, or python3 missing): what was asked fails over to forks of the platform,
   * and the runtimes it started died with it (they die with their parent): their exits are reported.
   */
  #onGone(): void {
    const error = this.#helper.gone!;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
    for (const child of [...this.#running.values()]) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      child.exited(null, 'SIGKILL');
    }
    this.#running.clear();
  }

  /** The helper keeps the platform running only while it has something to answer or runtimes to reap. */
  #hold(): void {
    this.#helper.hold(this.#waiting.size > 0 || this.#running.size > 0);
  }

  #ask(request: Record<string, unknown>): Promise<Answer> {
    const gone = this.#helper.gone;
    if (gone !== undefined) return Promise.reject(gone);
    const id = ++this.#nextId;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#hold();
      this.#helper.send(JSON.stringify({ ...request, id }));
    });
  }
}
