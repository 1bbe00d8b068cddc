import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNodeBinary } from './node-builds.js';
import type { PythonInterpreters } from './python-interpreters.js';
import type { EnvironmentSpec, LaunchPlan, Launcher } from './types.js';

/** `runtimes/` at the top of the package: the code that runs inside environments. */
export const RUNTIMES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'runtimes');

export interface LauncherOptions {
  readonly runtimeCacheDir: string;
  readonly python: PythonInterpreters;
  readonly onProgress?: (line: string) => void;
}

const NODE_RUNTIME = /^nodejs(\d+)\.x$/;
const PROVIDED_RUNTIME = /^provided\.al(2|2023)$/;
const PYTHON_RUNTIME = /^python(3\.\d+)$/;

/**
 * The environment variables Lambda gives a runtime process
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html): the customer's first,
 * the platform's last so they cannot be overridden.
 */
export function lambdaEnvironment(spec: EnvironmentSpec, runtimeApi: string, logStream: string, runtimeDir: string, extraPath: string): Record<string, string> {
  return {
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: `${extraPath}:/usr/local/bin:/usr/bin:/bin`,
    ...spec.environment,
    _HANDLER: spec.handler,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: spec.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: logStream,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: spec.region,
    AWS_DEFAULT_REGION: spec.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    LAMBDA_TASK_ROOT: spec.codeDir,
    LAMBDA_RUNTIME_DIR: runtimeDir,
  };
}

export function createLauncher(options: LauncherOptions): Launcher {
  return async (spec, runtimeApi, logStream): Promise<LaunchPlan> => {
    if (PROVIDED_RUNTIME.test(spec.runtime)) {
      // https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html : the package's `bootstrap`, run
      // as it is; AWS_EXECUTION_ENV is not set for OS-only runtimes.
      const { AWS_EXECUTION_ENV: _, ...env } = lambdaEnvironment(spec, runtimeApi, logStream, spec.codeDir, '/usr/local/bin');
      return { command: join(spec.codeDir, 'bootstrap'), args: [], env };
    }
    const python = PYTHON_RUNTIME.exec(spec.runtime);
    if (python !== null) {
      const interpreter = await options.python.find(python[1]!);
      if (interpreter === undefined) throw new Error(`no Python ${python[1]} interpreter on this host`);
      const runtimeDir = join(RUNTIMES_DIR, 'python');
      const env = lambdaEnvironment(spec, runtimeApi, logStream, runtimeDir, dirname(interpreter.path));
      env.PYTHONPATH = runtimeDir;
      return { command: interpreter.path, args: [join(runtimeDir, 'bootstrap.py')], env };
    }
    const node = NODE_RUNTIME.exec(spec.runtime);
    if (node === null) throw new Error(`no launcher for runtime ${spec.runtime}`);
    const binary = await ensureNodeBinary(Number(node[1]), {
      cacheDir: options.runtimeCacheDir,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const runtimeDir = join(RUNTIMES_DIR, 'nodejs');
    const env = lambdaEnvironment(spec, runtimeApi, logStream, runtimeDir, dirname(binary));
    env.NODE_PATH = `${runtimeDir}:${spec.codeDir}`;
    // Lambda's Node bootstrap sizes the V8 heap from the configured memory, leaving room for the rest.
    const heapMb = Math.max(64, Math.floor(spec.memorySize * 0.9));
    return { command: binary, args: [`--max-old-space-size=${heapMb}`, join(runtimeDir, 'bootstrap.mjs')], env };
  };
}
