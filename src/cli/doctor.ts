import { execFile } from 'node:child_process';
import type { Command } from 'commander';
import { defaultRuntimeCacheDir } from '../core/index.js';
import { usageError } from './errors.js';
import { out } from './format.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('report what this host gives selfless: isolation features (and why any are missing), runtimes')
    .addHelpText('after', '\nRun it as the user that runs `selfless serve`: what the sandbox can do depends on it (root, here).')
    .action(async () => doctor());
}

async function doctor(): Promise<void> {
  // Loaded on demand, like serve: the other commands never need them.
  const [{ detectIsolation, findNodeBinary, findNodeSdk, nodeSdkVersions, PythonInterpreters }, { runtimeSpec, SUPPORTED_RUNTIMES }] = await Promise.all([
    import('../runtime/index.js'),
    import('../control/index.js'),
  ]);
  // As `selfless serve` would decide with the same environment (SELFLESS_ISOLATION).
  const choice = process.env.SELFLESS_ISOLATION ?? 'auto';
  if (choice !== 'auto' && choice !== 'sandbox' && choice !== 'none') throw usageError(`SELFLESS_ISOLATION must be auto, sandbox or none, not '${choice}'`);
  const { isolation, report } = await detectIsolation(choice);
  await isolation.close();
  const mark = (active: boolean) => (active ? 'ok  ' : 'no  ');
  let text = `isolation: ${report.sandboxed ? 'sandboxed environments' : 'NONE: environments are plain child processes'}\n`;
  for (const feature of report.features) text += `  ${mark(feature.active)}${feature.name}: ${feature.detail}\n`;

  text += 'runtimes:\n';
  const python = new PythonInterpreters(process.env);
  const cacheDir = defaultRuntimeCacheDir(process.env);
  for (const id of SUPPORTED_RUNTIMES) {
    const spec = runtimeSpec(id)!;
    let line: string;
    if (spec.pythonVersion !== undefined) {
      const found = await python.find(spec.pythonVersion).catch((error: Error) => error);
      line =
        found instanceof Error
          ? `no  ${id}: ${found.message}`
          : found
            ? `ok  ${id}: ${found.path} (Python ${found.version}, ${await botoVersions(found.path)})`
            : `no  ${id}: no python${spec.pythonVersion} on PATH or in /usr/bin, /usr/local/bin (or set SELFLESS_PYTHON_${spec.pythonVersion.replace('.', '_')})`;
    } else if (spec.major !== undefined) {
      const binary = findNodeBinary(spec.major, { cacheDir });
      line = binary ? `ok  ${id}: ${binary}` : `ok  ${id}: Node ${spec.major} is downloaded on first use (or now: selfless runtimes install ${id})`;
      if (spec.deprecated) line += ' (deprecated by AWS: serve needs --allow-deprecated-runtimes)';
    } else {
      line = `ok  ${id}: the function's own bootstrap`;
    }
    text += `  ${line}\n`;
  }
  const sdk = nodeSdkVersions(cacheDir);
  text += sdk
    ? `AWS SDK for JavaScript v3 in nodejs runtimes: ${findNodeSdk(cacheDir)}\n${Object.entries(sdk)
        .map(([name, version]) => `  ${name} ${version}\n`)
        .join('')}`
    : 'AWS SDK for JavaScript v3 in nodejs runtimes: installed from the npm registry with the first nodejs environment (or now: selfless runtimes install nodejs24.x)\n';
  await out(text);
}

/** boto3 and botocore as a function would import them: Lambda's python runtimes carry both. */
function botoVersions(python: string): Promise<string> {
  return new Promise((resolve) => {
    const script = 'import boto3, botocore; print(boto3.__version__, botocore.__version__)';
    execFile(python, ['-c', script], { timeout: 30_000 }, (error, stdout) => {
      const [boto3, botocore] = stdout.trim().split(' ');
      resolve(
        error === null && botocore !== undefined
          ? `boto3 ${boto3}, botocore ${botocore}`
          : 'NO boto3: functions that import it must bundle it, or install it for this interpreter (Debian: apt-get install python3-boto3)',
      );
    });
  });
}
