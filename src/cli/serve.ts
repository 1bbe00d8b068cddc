import { join } from 'node:path';
import type { Command } from 'commander';
import { CREDENTIALS_FILE } from '../auth/index.js';
import { loadConfig, type ConfigFlags, type PlatformConfig } from '../core/index.js';
import type { Platform } from '../platform.js';
import { CliError, EXIT, usageError } from './errors.js';
import { err, out } from './format.js';

interface ServeFlags {
  port?: string;
  host?: string;
  dataDir?: string;
  idleTimeout?: string;
  runtimeCache?: string;
  allowDeprecatedRuntimes?: boolean;
  isolation?: string;
  prestart?: boolean;
  logFormat?: string;
  accessLog?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the selfless server (Lambda API, Runtime API, execution environments) in this process')
    .option('--port <port>', 'API port; 0 picks a free one (env SELFLESS_PORT, default 8900)')
    .option('--host <host>', 'address to listen on (env SELFLESS_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'database, code packages and credentials (env SELFLESS_DATA_DIR, default ./.selfless)')
    .option('--idle-timeout <ms>', 'stop environments idle this long (env SELFLESS_IDLE_TIMEOUT_MS, default 300000)')
    .option('--runtime-cache <dir>', 'where Node builds are installed, shared by every data dir (env SELFLESS_RUNTIME_CACHE)')
    .option('--allow-deprecated-runtimes', 'accept runtimes AWS has deprecated (nodejs20.x) for create and update')
    .option('--no-prestart', 'keep no pre-started generic runtimes for cold starts (env SELFLESS_PRESTART=0)')
    .option('--log-format <format>', "the server's own log: text (readable lines) or json (pino's JSON lines) (env SELFLESS_LOG_FORMAT, default text)")
    .option('--access-log', 'log one line per API request (env SELFLESS_ACCESS_LOG=1)')
    .option(
      '--isolation <mode>',
      'auto: sandbox environments where the host allows it; sandbox: require it; none: plain processes (env SELFLESS_ISOLATION, default auto)',
    )
    .addHelpText(
      'after',
      '\nPrints one line "selfless listening on <url>" when ready. SIGTERM or SIGINT drains in-flight\ninvocations and stops every environment; a second signal stops them at once.',
    )
    .action(async (flags: ServeFlags) => serve(flags));
}

async function serve(flags: ServeFlags): Promise<void> {
  const configFlags: ConfigFlags = {
    ...(flags.port === undefined ? {} : { port: flags.port }),
    ...(flags.host === undefined ? {} : { host: flags.host }),
    ...(flags.dataDir === undefined ? {} : { dataDir: flags.dataDir }),
    ...(flags.idleTimeout === undefined ? {} : { idleTimeoutMs: flags.idleTimeout }),
    ...(flags.runtimeCache === undefined ? {} : { runtimeCacheDir: flags.runtimeCache }),
    ...(flags.allowDeprecatedRuntimes === undefined ? {} : { allowDeprecatedRuntimes: true }),
    ...(flags.isolation === undefined ? {} : { isolation: flags.isolation }),
    // Commander sets prestart to true unless --no-prestart: only the flag's presence overrides the environment.
    ...(flags.prestart === false ? { prestart: false } : {}),
    ...(flags.logFormat === undefined ? {} : { logFormat: flags.logFormat }),
    ...(flags.accessLog === undefined ? {} : { accessLog: true }),
  };
  let config: PlatformConfig;
  try {
    config = loadConfig(process.env, configFlags);
  } catch (error) {
    throw usageError((error as Error).message);
  }

  // Loaded here, not at the top: the other commands never need the server and its native SQLite module.
  const [{ createPlatform }, { installProcessGuard }, { createLogger }] = await Promise.all([
    import('../platform.js'),
    import('../process-guard.js'),
    import('../core/logger.js'),
  ]);
  const logger = createLogger(config.serverLog);
  installProcessGuard((message, error) => logger.error({ err: error }, message));
  let platform: Platform;
  try {
    platform = await createPlatform(config, { logger });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(`${config.host}:${config.port} is already in use; pick another with --port or SELFLESS_PORT (0 picks a free one)`, EXIT.failed);
    }
    if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${config.host}:${config.port} (${code}); check --host and --port`, EXIT.failed);
    }
    throw error;
  }

  const stopped = stopOnSignals(platform);
  if (config.allowDeprecatedRuntimes) warnDeprecatedRuntimes();
  err(isolationLine(platform));
  if (platform.rootKeyCreated) await out(credentialsBanner(platform));
  await out(`selfless listening on ${platform.url}\n`);
  await stopped;
}

/** One line on how environments are isolated here; `selfless doctor` gives the details. */
function isolationLine(platform: Platform): string {
  const { sandboxed, features } = platform.isolation;
  if (!sandboxed)
    return `selfless: WARNING: no isolation: ${features[0]?.detail ?? ''}. Function code runs with the platform's own rights; run \`selfless doctor\` for why.\n`;
  const missing = features.filter((f) => !f.active).map((f) => f.name);
  return `selfless: isolation: sandboxed environments (${features
    .filter((f) => f.active)
    .map((f) => f.name)
    .join(', ')})${missing.length ? `; not active: ${missing.join(', ')} (see \`selfless doctor\`)` : ''}\n`;
}

/**
 * 1st signal: drain (in-flight invocations finish, environments stop, state is flushed).
 * 2nd: kill the environments now, so a hung invocation cannot hold the shutdown.
 * 3rd: leave without cleaning up.
 */
function stopOnSignals(platform: Platform): Promise<void> {
  return new Promise((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals === 1) {
        err(`selfless: ${signal}: finishing in-flight invocations and stopping environments (signal again to stop them now)`);
        platform.close().then(() => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          err('selfless: stopped');
          resolve();
        }, reject);
      } else if (signals === 2) {
        err(`selfless: ${signal}: stopping every environment now`);
        // close() is already under way and destroy() shares its promise, so kill the environments directly.
        platform.pool.destroy();
        void platform.destroy();
      } else {
        err(`selfless: ${signal}: exiting without cleanup`);
        process.exit(130);
      }
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

function credentialsBanner(platform: Platform): string {
  const { accessKeyId, secretAccessKey } = platform.rootKey;
  const file = join(platform.config.dataDir, CREDENTIALS_FILE);
  return [
    `selfless: generated the root access key, kept in ${file} (mode 0600).`,
    'The selfless CLI on this machine finds it there. Elsewhere, paste:',
    '',
    `export SELFLESS_ENDPOINT=${platform.url}`,
    `export SELFLESS_ACCESS_KEY_ID=${accessKeyId}`,
    `export SELFLESS_SECRET_ACCESS_KEY=${secretAccessKey}`,
    '',
    'For the AWS CLI and SDKs:',
    '',
    `export AWS_ACCESS_KEY_ID=${accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${secretAccessKey}`,
    `export AWS_REGION=${platform.config.region}`,
    `export AWS_ENDPOINT_URL_LAMBDA=${platform.url}`,
    '',
    '',
  ].join('\n');
}

function warnDeprecatedRuntimes(): void {
  err(
    [
      '',
      '!!! WARNING: --allow-deprecated-runtimes is on.',
      '!!! Functions can be created and updated with runtimes AWS has deprecated (nodejs20.x). Those',
      '!!! Node versions no longer get security fixes; keep old code running only while you move it on.',
      '',
    ].join('\n'),
  );
}
