import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Platform } from '../../src/platform.js';

const run = promisify(execFile);
/** The AWS CLI v2 (Debian's awscli package; `.ci/run` installs it). */
export const AWS_CLI = '/usr/bin/aws';

/**
 * Runs `aws ARGS… --endpoint-url <platform> --output json` as the platform's root, with nothing of the
 * machine's own AWS configuration, and answers its JSON (an empty object for no output). A failing
 * command rejects with the CLI's exit code and stderr.
 */
export function awsCli(platform: Platform): (...args: string[]) => Promise<Record<string, any>> {
  const env = awsCliEnv(platform);
  return async (...args) => JSON.parse((await run(AWS_CLI, ['--endpoint-url', platform.url, '--output', 'json', ...args], { env })).stdout || '{}');
}

/** The CLI's environment: the platform's root key and region, none of the machine's AWS configuration. */
export function awsCliEnv(platform: Platform): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: platform.rootKey.accessKeyId,
    AWS_SECRET_ACCESS_KEY: platform.rootKey.secretAccessKey,
    AWS_DEFAULT_REGION: platform.config.region,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_PAGER: '',
  };
}
