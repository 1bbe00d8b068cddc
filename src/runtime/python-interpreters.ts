import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';

export interface PythonInterpreter {
  /** The real executable (version managers' shims resolved), used for every launch. */
  readonly path: string;
  /** `3.11` etc., as the interpreter reports it. */
  readonly version: string;
  /** sys.base_prefix: the installation's folder (standard library included), which a sandbox must show. */
  readonly prefix: string;
}

const PROBE = 'import sys; print(sys.executable); print("%d.%d" % sys.version_info[:2]); print(sys.base_prefix)';

function probe(candidate: string): Promise<PythonInterpreter | undefined> {
  return new Promise((resolve) => {
    execFile(candidate, ['-c', PROBE], { timeout: 10_000 }, (error, stdout) => {
      const [path, version, prefix] = stdout.trim().split('\n');
      resolve(error || !path || !version || !prefix ? undefined : { path, version, prefix });
    });
  });
}

/**
 * Finds the interpreters for python3.X runtimes: exactly that version on the host (PATH, then the usual
 * system places), or the one the operator maps with SELFLESS_PYTHON_3_X=/path/to/python (a mapping to
 * another version is the operator's choice and is reported). Results are remembered per version.
 */
export class PythonInterpreters {
  readonly #found = new Map<string, Promise<PythonInterpreter | undefined>>();

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly onNote: (line: string) => void = () => undefined,
  ) {}

  find(version: string): Promise<PythonInterpreter | undefined> {
    let found = this.#found.get(version);
    if (found === undefined) {
      found = this.#search(version);
      this.#found.set(version, found);
    }
    return found;
  }

  async #search(version: string): Promise<PythonInterpreter | undefined> {
    const mapped = this.env[`SELFLESS_PYTHON_${version.replace('.', '_')}`];
    if (mapped) {
      const interpreter = await probe(mapped);
      if (interpreter === undefined) throw new Error(`SELFLESS_PYTHON_${version.replace('.', '_')}=${mapped} is not a working Python interpreter`);
      if (interpreter.version !== version) this.onNote(`python${version} functions run on Python ${interpreter.version} (${interpreter.path}), as configured`);
      return interpreter;
    }
    const dirs = [...(this.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/local/bin', '/usr/bin'];
    for (const dir of new Set(dirs)) {
      const interpreter = await probe(join(dir, `python${version}`));
      if (interpreter?.version === version) return interpreter;
    }
    return undefined;
  }
}
