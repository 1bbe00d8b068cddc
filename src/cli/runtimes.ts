import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultRuntimeCacheDir } from '../core/index.js';
import { usageError } from './errors.js';
import { err, out } from './format.js';

interface InstallFlags {
  runtimeCache?: string;
  printPath?: boolean;
}

export function registerRuntimes(program: Command): void {
  const runtimes = program.command('runtimes').description('manage the language runtimes functions run on');
  runtimes
    .command('install')
    .description('install the Node build a runtime needs, and the AWS SDK nodejs runtimes carry, ahead of time, so no function waits for the download')
    .argument('<runtime...>', 'runtime identifiers, e.g. nodejs22.x nodejs24.x')
    .option('--runtime-cache <dir>', 'where builds are installed, shared by every data dir (env SELFLESS_RUNTIME_CACHE)')
    .option('--print-path', 'print only the path of each node binary on stdout (for scripts)')
    .addHelpText('after', "\nA runtime whose Node major matches this host's node uses the host's binary; nothing is downloaded.")
    .action(async (ids: string[], flags: InstallFlags) => install(ids, flags));
}

async function install(ids: string[], flags: InstallFlags): Promise<void> {
  // Loaded on demand: the runtime table and the installer are only needed by this command.
  const [{ runtimeSpec, SUPPORTED_RUNTIMES }, { ensureNodeBinary, ensureNodeSdk }] = await Promise.all([
    import('../control/index.js'),
    import('../runtime/index.js'),
  ]);
  const specs = ids.map((id) => {
    const spec = runtimeSpec(id);
    if (spec === undefined) throw usageError(`unknown runtime '${id}'; selfless runs ${SUPPORTED_RUNTIMES.join(', ')}`);
    if (spec.major === undefined) {
      throw usageError(
        spec.family === 'python'
          ? `${id} runs on the host's python${spec.pythonVersion}; selfless does not install Python`
          : `${id} runs the function's own bootstrap; there is nothing to install`,
      );
    }
    return { id: spec.id, major: spec.major };
  });
  // The server's own default (loadConfig), so both look in the same place.
  const cacheDir = flags.runtimeCache === undefined ? defaultRuntimeCacheDir(process.env) : resolve(flags.runtimeCache);
  for (const spec of specs) {
    const binary = await ensureNodeBinary(spec.major, { cacheDir, onProgress: (line) => err(`${spec.id}: ${line}`) });
    await out(flags.printPath ? `${binary}\n` : `${spec.id}: ${binary}\n`);
  }
  // The AWS SDK every nodejs runtime carries, so the first function does not wait for it either.
  const sdk = await ensureNodeSdk({ cacheDir, onProgress: (line) => err(line) });
  if (!flags.printPath) await out(`AWS SDK for JavaScript v3: ${sdk}\n`);
}
