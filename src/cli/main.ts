import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerDeploy } from './deploy.js';
import { registerDoctor } from './doctor.js';
import { describeFailure, EXIT } from './errors.js';
import { registerEvents } from './events.js';
import { registerInvoke } from './invoke.js';
import { registerHistory } from './history.js';
import { registerReplay } from './replay.js';
import { registerLogs } from './logs.js';
import { registerLs } from './ls.js';
import { registerRm } from './rm.js';
import { registerSchedule } from './schedule.js';
import { registerRuntimes } from './runtimes.js';
import { registerServe } from './serve.js';
import { registerUsage } from './usage.js';

function packageVersion(): string {
  try {
    // Compiled to dist/src/cli/main.js; package.json sits three levels up.
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command('selfless')
    .description('AWS Lambda, self-hosted: run the server, deploy and invoke functions, read logs and usage')
    .version(packageVersion(), '-V, --version')
    // Set before the commands are added so each of them inherits it.
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 the function or the server reported an error, 2 bad usage,\n3 the server cannot be reached or no credentials were found.',
    );
  registerServe(program);
  registerDeploy(program);
  registerInvoke(program);
  registerLs(program);
  registerRm(program);
  registerLogs(program);
  registerHistory(program);
  registerReplay(program);
  registerUsage(program);
  registerEvents(program);
  registerSchedule(program);
  registerRuntimes(program);
  registerDoctor(program);
  return program;
}

/** Runs one command line and returns the process exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  // `selfless logs x | head` closes our stdout early; that is the reader's choice, not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode === undefined ? EXIT.ok : Number(process.exitCode));
    throw error;
  });
  try {
    await buildProgram().parseAsync([...argv]);
    return Number(process.exitCode ?? EXIT.ok);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the message and the help. Help asked for (`--help`, `help deploy`)
      // is a success; help shown because the command line was incomplete is a usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.help' && error.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    const { message, exitCode } = describeFailure(error);
    process.stderr.write(`error: ${message}\n`);
    return exitCode;
  }
}
