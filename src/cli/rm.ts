import { DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import { describeFailure, EXIT } from './errors.js';
import { err, out } from './format.js';

export function registerRm(program: Command): void {
  addConnectionOptions(
    program.command('rm').description('delete functions (their code, configuration and environments)').argument('<name...>', 'function names or ARNs'),
  )
    .addHelpText('after', '\nEvery name is tried; exit code 1 if any of them could not be deleted.')
    .action(async (names: string[], flags: ConnectionFlags) => rm(names, flags));
}

async function rm(names: string[], flags: ConnectionFlags): Promise<void> {
  await withSession(flags, async (s) => {
    for (const name of names) {
      try {
        await s.lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
        await out(`deleted ${name}\n`);
      } catch (error) {
        const failure = describeFailure(error, s.connection.endpoint);
        // No point trying the other names against a server that is not there.
        if (failure.exitCode !== EXIT.failed) throw error;
        err(`error: ${name}: ${failure.message}`);
        process.exitCode = EXIT.failed;
      }
    }
  });
}
