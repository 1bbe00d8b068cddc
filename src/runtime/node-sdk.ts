/**
 * The AWS SDK for JavaScript v3 that Lambda's nodejs runtimes carry, so a function can import
 * `@aws-sdk/client-s3` and friends without bundling them. Installed once per machine from the npm
 * registry, with npm itself, at the pinned versions below:
 *
 *   <cacheDir>/aws-sdk-js-v3/<digest>/node_modules/…     the clients and their dependencies
 *   <cacheDir>/aws-sdk-js-v3/<digest>/selfless-sdk.json  what was installed, and when
 *   <cacheDir>/aws-sdk-js-v3/.staging-XXXXXX/            an install in progress (never used)
 *
 * `<digest>` names the package list, so changing the pins installs a new copy beside the old one; a
 * copy appears through one rename(2) of a complete staging directory, so its existence means it is
 * whole, and concurrent installers (several servers, a CLI) adopt whichever rename won.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/**
 * The clients a function may import unbundled (Lambda's runtimes carry every client; these are the
 * ones Lambda functions use most). A function that needs another bundles it, as on Lambda for
 * anything outside the runtime. One release of the SDK, except where a client's latest is older.
 */
export const NODE_SDK_PACKAGES: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': '3.1178.0',
  '@aws-sdk/client-eventbridge': '3.1178.0',
  '@aws-sdk/client-iam': '3.1178.0',
  '@aws-sdk/client-kinesis': '3.1143.0',
  '@aws-sdk/client-lambda': '3.1178.0',
  '@aws-sdk/client-s3': '3.1178.0',
  '@aws-sdk/client-secrets-manager': '3.1178.0',
  '@aws-sdk/client-sns': '3.1178.0',
  '@aws-sdk/client-sqs': '3.1178.0',
  '@aws-sdk/client-ssm': '3.1178.0',
  '@aws-sdk/client-sts': '3.1178.0',
  '@aws-sdk/lib-dynamodb': '3.1178.0',
};

export interface NodeSdkOptions {
  readonly cacheDir: string;
  readonly onProgress?: (line: string) => void;
  /** The npm to run; default: the one beside this process's node, else `npm` on PATH. */
  readonly npm?: string;
}

const INSTALL_TIMEOUT_MS = 10 * 60_000;
const MARKER_FILE = 'selfless-sdk.json';

/** The folder holding `node_modules` with the SDK when it is installed; undefined otherwise (no network access). */
export function findNodeSdk(cacheDir: string, packages = NODE_SDK_PACKAGES): string | undefined {
  const dir = sdkDir(cacheDir, packages);
  return existsSync(join(dir, MARKER_FILE)) ? dir : undefined;
}

/** What `selfless doctor` shows: the installed client versions, or undefined before the first install. */
export function nodeSdkVersions(cacheDir: string): Record<string, string> | undefined {
  const dir = findNodeSdk(cacheDir);
  if (dir === undefined) return undefined;
  return (JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8')) as { packages: Record<string, string> }).packages;
}

const inFlight = new Map<string, Promise<string>>();

/** The SDK's folder (with `node_modules` inside), installing it on first use. */
export function ensureNodeSdk(options: NodeSdkOptions, packages = NODE_SDK_PACKAGES): Promise<string> {
  const found = findNodeSdk(options.cacheDir, packages);
  if (found !== undefined) return Promise.resolve(found);
  const key = sdkDir(options.cacheDir, packages);
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = install(options, packages).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function install(options: NodeSdkOptions, packages: Readonly<Record<string, string>>): Promise<string> {
  const target = sdkDir(options.cacheDir, packages);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, '.staging-'));
  try {
    const specs = Object.entries(packages).map(([name, version]) => `${name}@${version}`);
    options.onProgress?.(`installing the AWS SDK for JavaScript v3 for nodejs runtimes (${specs.length} clients) into ${target}…`);
    // A package.json of its own, so npm installs here and not into a project found further up.
    await writeFile(join(staging, 'package.json'), JSON.stringify({ name: 'selfless-aws-sdk', private: true, dependencies: packages }));
    await run(options.npm ?? npmBinary(), ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'], staging);
    await writeFile(join(staging, MARKER_FILE), JSON.stringify({ packages, installedAt: new Date().toISOString() }, null, 2));
    // mkdtemp made it private; environments run as other users and read it.
    await chmod(staging, 0o755);
    try {
      await rename(staging, target);
    } catch (error) {
      // Another installer finished first: its copy is as good as ours.
      if (!findNodeSdk(options.cacheDir, packages)) throw error;
    }
    options.onProgress?.(`installed the AWS SDK for JavaScript v3 into ${target}`);
    return target;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function sdkDir(cacheDir: string, packages: Readonly<Record<string, string>>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify(Object.entries(packages).sort()))
    .digest('hex')
    .slice(0, 12);
  return join(resolve(cacheDir), 'aws-sdk-js-v3', digest);
}

/** npm ships beside node in official builds and in distribution packages. */
function npmBinary(): string {
  const beside = join(dirname(process.execPath), 'npm');
  return existsSync(beside) ? beside : 'npm';
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error === null) resolvePromise();
      else reject(new Error(`npm install of the AWS SDK failed: ${stderr.trim().split('\n').slice(-5).join(' ') || error.message}`));
    });
  });
}
