import { execFile } from 'node:child_process';
import { access, constants, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InitFailure } from './function-errors.js';
import { ensureNodeBinary } from './node-builds.js';
import { ensureNodeSdk } from './node-sdk.js';
import type { PythonInterpreter, PythonInterpreters } from './python-interpreters.js';
import type { EnvironmentSpec, LaunchPlan, Launcher, ReadOnlyBind } from './types.js';

/** `runtimes/` at the top of the package: the code that runs inside environments. */
export const RUNTIMES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'runtimes');

/** Where a sandboxed environment sees things: Lambda's own paths. */
export const SANDBOX_PATHS = { task: '/var/task', runtime: '/var/runtime', lang: '/var/lang', sdk: '/node_modules' } as const;

export interface LauncherOptions {
  readonly runtimeCacheDir: string;
  readonly python: PythonInterpreters;
  /** Whether environments run in a sandbox (Lambda's paths, read-only binds) or as plain processes (host paths). */
  readonly sandboxed: boolean;
  readonly onProgress?: (line: string) => void;
  /** Something the operator should fix (default: onProgress). */
  readonly onWarning?: (line: string) => void;
  /**
   * The variables that give an environment its identity (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
   * AWS_SESSION_TOKEN for a session of its role) and where the AWS SDKs inside find the platform
   * (AWS_ENDPOINT_URL); asked once per environment start.
   */
  readonly identity?: (spec: EnvironmentSpec) => Promise<EnvironmentIdentity>;
}

export interface EnvironmentIdentity {
  /** Set by the platform, after the function's own variables: the function cannot override them. */
  readonly credentials: Readonly<Record<string, string>>;
  /** Set before the function's own variables: a function may point its SDK elsewhere. */
  readonly defaults: Readonly<Record<string, string>>;
}

const NODE_RUNTIME = /^nodejs(\d+)\.x$/;
/** After a failed install of the runtime SDK, environments start without it for this long before the next try. */
const SDK_RETRY_MS = 10 * 60_000;
const PROVIDED_RUNTIME = /^provided\.al(2|2023)$/;
const PYTHON_RUNTIME = /^python(3\.\d+)$/;

/**
 * The environment variables Lambda gives a runtime process
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html): the customer's first,
 * the platform's last so they cannot be overridden.
 */
export function lambdaEnvironment(
  spec: EnvironmentSpec,
  paths: { runtimeApi: string; logStream: string; taskRoot: string; runtimeDir: string; binDir: string },
  identity: EnvironmentIdentity = { credentials: {}, defaults: {} },
): Record<string, string> {
  return {
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: `${paths.binDir}:/usr/local/bin:/usr/bin:/bin`,
    // The function's user has no home of its own; SDKs look there for their config files, and must
    // not find the operator's.
    HOME: '/tmp',
    ...identity.defaults,
    ...spec.environment,
    ...identity.credentials,
    _HANDLER: spec.handler,
    AWS_LAMBDA_RUNTIME_API: paths.runtimeApi,
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: spec.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: spec.logGroup,
    // What the runtimes read to write JSON lines and drop those below the level (both ours and AWS's clients).
    ...(spec.logFormat === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: spec.applicationLogLevel ?? 'INFO' } : {}),
    AWS_LAMBDA_LOG_STREAM_NAME: paths.logStream,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: spec.region,
    AWS_DEFAULT_REGION: spec.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    LAMBDA_TASK_ROOT: paths.taskRoot,
    LAMBDA_RUNTIME_DIR: paths.runtimeDir,
  };
}

/**
 * Managed runtimes start through AWS_LAMBDA_EXEC_WRAPPER when the function sets it: the wrapper gets
 * the runtime's command line as its arguments and execs it (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html).
 */
function withExecWrapper(plan: LaunchPlan, spec: EnvironmentSpec, sandboxed: boolean): LaunchPlan {
  let wrapper = plan.env.AWS_LAMBDA_EXEC_WRAPPER;
  if (!wrapper) return plan;
  // Wrappers are named by their Lambda path; a plain process finds the package at its host folder.
  if (!sandboxed && under(wrapper, SANDBOX_PATHS.task)) wrapper = join(spec.codeDir, wrapper.slice(SANDBOX_PATHS.task.length));
  return { ...plan, command: wrapper, args: [plan.command, ...plan.args] };
}

/** Compiles our Python runtime module once per interpreter, so a read-only sandbox need not compile it on every start. */
function precompilePython(interpreter: PythonInterpreter, compiled: Map<string, Promise<void>>): Promise<void> {
  let done = compiled.get(interpreter.path);
  if (done === undefined) {
    done = new Promise((resolve) => {
      execFile(interpreter.path, ['-m', 'py_compile', join(RUNTIMES_DIR, 'python', '_selfless_runtime.py')], { timeout: 30_000 }, () => resolve());
    });
    compiled.set(interpreter.path, done);
  }
  return done;
}

/**
 * A custom runtime's `bootstrap` must exist and be executable: checked on the host before any sandbox
 * starts, and reported as Lambda does (`Error: fork/exec /var/task/bootstrap: no such file or directory`).
 */
async function checkEntrypoint(hostPath: string, shownPath: string): Promise<void> {
  try {
    await access(hostPath, constants.X_OK);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : 'permission denied';
    throw InitFailure.of('Runtime.InvalidEntrypoint', `Error: fork/exec ${shownPath}: ${reason}`);
  }
}

const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);

export function createLauncher(options: LauncherOptions): Launcher {
  const compiled = new Map<string, Promise<void>>();
  const taskRoot = (spec: EnvironmentSpec) => (options.sandboxed ? SANDBOX_PATHS.task : spec.codeDir);
  const runtimeDir = (name: string) => (options.sandboxed ? SANDBOX_PATHS.runtime : join(RUNTIMES_DIR, name));
  const runtimeBind = (name: string): ReadOnlyBind[] => (options.sandboxed ? [{ source: join(RUNTIMES_DIR, name), target: SANDBOX_PATHS.runtime }] : []);

  // Installed with the first Node environment. A host that cannot install it (no registry, no npm) runs
  // functions without it (each bundles its own), says so, and tries again after SDK_RETRY_MS.
  let sdkInstall: Promise<string | undefined> | undefined;
  let sdkFailedAt = 0;
  const nodeSdk = () => {
    if (sdkInstall !== undefined && sdkFailedAt !== 0 && Date.now() - sdkFailedAt >= SDK_RETRY_MS) sdkInstall = undefined;
    return (sdkInstall ??= ensureNodeSdk({ cacheDir: options.runtimeCacheDir, ...(options.onProgress ? { onProgress: options.onProgress } : {}) }).then(
      (dir) => {
        sdkFailedAt = 0;
        return dir;
      },
      (error: unknown) => {
        sdkFailedAt = Date.now();
        (options.onWarning ?? options.onProgress)?.(
          `${(error as Error).message}; nodejs functions run without the AWS SDK unless they bundle it (tried again in ${SDK_RETRY_MS / 60_000} minutes)`,
        );
        return undefined;
      },
    ));
  };

  const launch = async (spec: EnvironmentSpec, runtimeApi: string, logStream: string): Promise<LaunchPlan> => {
    const common = { runtimeApi, logStream, taskRoot: taskRoot(spec) };
    // A pre-started runtime's template has no function, so no role, yet.
    const identity = spec.role === '' || options.identity === undefined ? undefined : await options.identity(spec);
    if (PROVIDED_RUNTIME.test(spec.runtime)) {
      // https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html : the package's `bootstrap`, run
      // as it is; AWS_EXECUTION_ENV is not set for OS-only runtimes.
      const { AWS_EXECUTION_ENV: _, ...env } = lambdaEnvironment(spec, { ...common, runtimeDir: common.taskRoot, binDir: '/usr/local/bin' }, identity);
      const command = join(common.taskRoot, 'bootstrap');
      await checkEntrypoint(join(spec.codeDir, 'bootstrap'), command);
      return { command, args: [], env, binds: [] };
    }
    const python = PYTHON_RUNTIME.exec(spec.runtime);
    if (python !== null) {
      const interpreter = await options.python.find(python[1]!);
      if (interpreter === undefined) throw new Error(`no Python ${python[1]} interpreter on this host`);
      await precompilePython(interpreter, compiled);
      const dir = runtimeDir('python');
      const env = lambdaEnvironment(spec, { ...common, runtimeDir: dir, binDir: dirname(interpreter.path) }, identity);
      env.PYTHONPATH = dir;
      // An interpreter outside /usr (pyenv, a venv's base) is shown at its own path, read-only.
      const binds = runtimeBind('python');
      if (options.sandboxed && !under(interpreter.prefix, '/usr')) binds.push({ source: interpreter.prefix, target: interpreter.prefix });
      return withExecWrapper({ command: interpreter.path, args: [join(dir, 'bootstrap.py')], env, binds }, spec, options.sandboxed);
    }
    const node = NODE_RUNTIME.exec(spec.runtime);
    if (node === null) throw new Error(`no launcher for runtime ${spec.runtime}`);
    const hostBinary = await realpath(
      await ensureNodeBinary(Number(node[1]), {
        cacheDir: options.runtimeCacheDir,
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    );
    const sdk = await nodeSdk();
    // In a sandbox the Node binary is shown at /var/lang/bin/node, as on Lambda.
    const binary = options.sandboxed ? join(SANDBOX_PATHS.lang, 'bin', 'node') : hostBinary;
    const binds = runtimeBind('nodejs');
    // The binary alone (it needs nothing else of its installation): the folder it came from may be
    // private to root (a build unpacked into a mktemp folder), and a bind mount keeps its mode.
    if (options.sandboxed) binds.push({ source: hostBinary, target: binary });
    // The AWS SDK at /node_modules: both require() and import walk up to it from /var/task, after the
    // function's own node_modules, so a bundled copy wins as on Lambda.
    if (options.sandboxed && sdk !== undefined) binds.push({ source: join(sdk, 'node_modules'), target: SANDBOX_PATHS.sdk });
    const dir = runtimeDir('nodejs');
    const env = lambdaEnvironment(spec, { ...common, runtimeDir: dir, binDir: dirname(binary) }, identity);
    env.NODE_PATH = `${dir}:${common.taskRoot}`;
    // A plain process has no /node_modules: require() finds the SDK through NODE_PATH, and import
    // through the runtime's fallback resolver, which SELFLESS_NODE_SDK switches on.
    if (!options.sandboxed && sdk !== undefined) {
      env.NODE_PATH = `${dir}:${join(sdk, 'node_modules')}:${common.taskRoot}`;
      env.SELFLESS_NODE_SDK = sdk;
    }
    // Lambda's Node bootstrap sizes the V8 heap from the configured memory, leaving room for the rest.
    const heapMb = Math.max(64, Math.floor(spec.memorySize * 0.9));
    return withExecWrapper({ command: binary, args: [`--max-old-space-size=${heapMb}`, join(dir, 'bootstrap.mjs')], env, binds }, spec, options.sandboxed);
  };

  return {
    launch,
    canPrestart: (spec) => (NODE_RUNTIME.test(spec.runtime) || PYTHON_RUNTIME.test(spec.runtime)) && !spec.environment.AWS_LAMBDA_EXEC_WRAPPER,
    prestart: async (template, runtimeApi) => {
      const plan = await launch(template, runtimeApi, '');
      // Only what does not depend on the function; the rest arrives with the assignment.
      const env: Record<string, string> = { SELFLESS_PRESTARTED: '1' };
      for (const key of GENERIC_VARIABLES) if (plan.env[key] !== undefined) env[key] = plan.env[key];
      return { ...plan, env };
    },
    assignment: async (spec, runtimeApi, logStream) => (await launch(spec, runtimeApi, logStream)).env,
  };
}

/** Environment variables a pre-started runtime starts with: the same for every function it may run. */
const GENERIC_VARIABLES = ['LANG', 'TZ', 'PATH', 'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_RUNTIME_DIR', 'NODE_PATH', 'PYTHONPATH', 'SELFLESS_NODE_SDK'] as const;
