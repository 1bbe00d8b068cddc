import { readFile, stat } from 'node:fs/promises';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { AttachRolePolicyCommand, CreateRoleCommand, GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { InvalidArgumentError, type Command } from 'commander';
import { LAMBDA_TRUST_POLICY } from '../auth/execution-roles.js';
import { addConnectionOptions, withSession, type ConnectionFlags } from './client.js';
import { usageError } from './errors.js';
import { err, formatBytes, json, out } from './format.js';
import { zipFolder } from './zip-folder.js';

interface DeployFlags extends ConnectionFlags {
  name: string;
  handler?: string;
  runtime?: string;
  memory?: number;
  timeout?: number;
  env?: Record<string, string>;
  role?: string;
  description?: string;
  json?: boolean;
}

export const DEFAULT_RUNTIME = 'nodejs24.x';
/** The role a function created without --role runs as: made on first use, trusting Lambda, allowed to write logs. */
export const DEFAULT_ROLE_NAME = 'selfless';
const BASIC_EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
/** Above this, zipping and uploading take long enough that silence would look like a hang. */
const LARGE_PACKAGE_BYTES = 5 * 1024 * 1024;

const integer = (flag: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} takes a whole number, got '${value}'`);
  return Number(value);
};

function envPair(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`--env takes KEY=VALUE, got '${value}'`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function registerDeploy(program: Command): void {
  addConnectionOptions(
    program
      .command('deploy')
      .description('create a function from a folder or a .zip, or update its code and configuration if it exists')
      .argument('<path>', 'a folder (zipped in memory) or a .zip file')
      .requiredOption('--name <name>', 'function name')
      .option('--handler <handler>', 'file.export, e.g. index.handler (required to create)')
      .option('--runtime <runtime>', `runtime (on create, default ${DEFAULT_RUNTIME})`)
      .option('--memory <mb>', 'memory in MB, 128-10240 (on create, default 128)', integer('--memory'))
      .option('--timeout <seconds>', 'timeout in seconds, 1-900 (on create, default 3)', integer('--timeout'))
      .option('--env <KEY=VALUE...>', 'environment variables; on update they replace the existing set', envPair)
      .option('--role <arn>', `execution role (on create, default: the role ${DEFAULT_ROLE_NAME}, created with AWSLambdaBasicExecutionRole if missing)`)
      .option('--description <text>', 'description')
      .option('--json', 'print the resulting function configuration as JSON'),
  )
    .addHelpText('after', '\nOn update only the flags given change; the rest of the configuration stays as it is.')
    .action(async (path: string, flags: DeployFlags) => deploy(path, flags));
}

async function deploy(path: string, flags: DeployFlags): Promise<void> {
  const zip = await loadPackage(path);
  if (zip.length > LARGE_PACKAGE_BYTES) err(`uploading ${formatBytes(zip.length)}…`);
  const { created, configuration } = await withSession(flags, async (s) => {
    const exists = await s.lambda.send(new GetFunctionCommand({ FunctionName: flags.name })).then(
      () => true,
      (error: unknown) => {
        if ((error as Error).name === 'ResourceNotFoundException') return false;
        throw error;
      },
    );
    if (!exists) {
      if (flags.handler === undefined) throw usageError(`${flags.name} does not exist yet: --handler is required to create it`);
      const configuration = await s.lambda.send(
        new CreateFunctionCommand({
          FunctionName: flags.name,
          Code: { ZipFile: zip },
          Handler: flags.handler,
          Runtime: (flags.runtime ?? DEFAULT_RUNTIME) as FunctionConfiguration['Runtime'],
          Role: flags.role ?? (await defaultRole(s.iam)),
          ...configurationChanges(flags),
        }),
      );
      return { created: true, configuration };
    }
    let configuration: FunctionConfiguration = await s.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: flags.name, ZipFile: zip }));
    const changes = {
      ...configurationChanges(flags),
      ...(flags.handler === undefined ? {} : { Handler: flags.handler }),
      ...(flags.runtime === undefined ? {} : { Runtime: flags.runtime as FunctionConfiguration['Runtime'] }),
      ...(flags.role === undefined ? {} : { Role: flags.role }),
    };
    if (Object.keys(changes).length > 0) {
      configuration = await s.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: flags.name, ...changes }));
    }
    return { created: false, configuration };
  });

  if (flags.json) {
    const { $metadata: _, ...fields } = configuration as FunctionConfiguration & { $metadata?: unknown };
    await json(fields);
    return;
  }
  await out(
    `${created ? 'created' : 'updated'} ${configuration.FunctionName} (${configuration.Runtime}, ${configuration.Handler}): ` +
      `CodeSha256=${configuration.CodeSha256} CodeSize=${configuration.CodeSize} (${formatBytes(configuration.CodeSize ?? 0)})\n`,
  );
}

/** The ARN of the default execution role, created (trusting Lambda, with basic execution permissions) if it does not exist. */
async function defaultRole(iam: IAMClient): Promise<string> {
  const found = await iam.send(new GetRoleCommand({ RoleName: DEFAULT_ROLE_NAME })).catch((error: Error) => {
    if (error.name === 'NoSuchEntityException') return undefined;
    throw error;
  });
  if (found?.Role?.Arn !== undefined) return found.Role.Arn;
  const { Role } = await iam.send(new CreateRoleCommand({ RoleName: DEFAULT_ROLE_NAME, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: DEFAULT_ROLE_NAME, PolicyArn: BASIC_EXECUTION_POLICY }));
  err(`created the execution role ${Role!.Arn!} (AWSLambdaBasicExecutionRole); --role names another`);
  return Role!.Arn!;
}

/** The settings shared by create and update, only where a flag was given. */
function configurationChanges(flags: DeployFlags) {
  return {
    ...(flags.memory === undefined ? {} : { MemorySize: flags.memory }),
    ...(flags.timeout === undefined ? {} : { Timeout: flags.timeout }),
    ...(flags.env === undefined ? {} : { Environment: { Variables: flags.env } }),
    ...(flags.description === undefined ? {} : { Description: flags.description }),
  };
}

async function loadPackage(path: string): Promise<Buffer> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) throw usageError(`${path} does not exist; deploy takes a folder or a .zip file`);
  if (info.isDirectory()) return zipFolder(path, zipProgress(path));
  if (info.isFile() && path.toLowerCase().endsWith('.zip')) return readFile(path);
  throw usageError(`${path} is neither a folder nor a .zip file`);
}

/** Progress in steps of 10%, and only for folders large enough that zipping them takes a while. */
function zipProgress(path: string): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    if (total <= LARGE_PACKAGE_BYTES) return;
    const step = Math.floor((done / total) * 10) * 10;
    if (step === shown) return;
    shown = step;
    const line = `zipping ${path}: ${step}% of ${formatBytes(total)}`;
    // On a terminal the line updates in place; in a log file each step is its own line.
    if (process.stderr.isTTY) process.stderr.write(`\r${line}${step === 100 ? '\n' : ''}`);
    else err(line);
  };
}
