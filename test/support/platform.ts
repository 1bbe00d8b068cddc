import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig, type ConfigFlags } from '../../src/core/index.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { createPlatform, type Platform, type PlatformDeps } from '../../src/platform.js';
import { ensureLambdaRole } from './roles.js';

export interface TestPlatform {
  readonly platform: Platform;
  readonly client: LambdaClient;
  readonly dataDir: string;
  readonly logs: string[];
  /** Stops the platform and removes its data dir. */
  stop(): Promise<void>;
}

/** Collects the platform's log lines (as the text format writes them) instead of printing them. */
export function captureLogger(into: string[]): Logger {
  return createLogger({ format: 'text', level: 'debug', textSink: (line) => into.push(line) });
}

export function clientFor(platform: Platform, overrides: { accessKeyId?: string; secretAccessKey?: string } = {}): LambdaClient {
  return new LambdaClient({
    endpoint: platform.url,
    region: platform.config.region,
    credentials: { ...platform.rootKey, ...overrides },
    maxAttempts: 1,
  });
}

/** A real platform on port 0 with a fresh data dir (the runtime cache stays shared, so Node builds download once). */
export async function startPlatform(
  flags: ConfigFlags = {},
  env: NodeJS.ProcessEnv = {},
  deps: Pick<PlatformDeps, 'authorize' | 'clock'> = {},
): Promise<TestPlatform> {
  const dataDir = flags.dataDir ?? (await mkdtemp(join(tmpdir(), 'selfless-test-')));
  const logs: string[] = [];
  const config = loadConfig({ ...cacheEnv(), ...env }, { port: 0, ...flags, dataDir });
  const platform = await createPlatform(config, { ...deps, logger: captureLogger(logs), env: { ...process.env, ...env } });
  const client = clientFor(platform);
  // The role the suite's functions run as (ROLE); CreateFunction refuses one IAM does not hold.
  await ensureLambdaRole({ url: platform.url, region: config.region, credentials: platform.rootKey });
  return {
    platform,
    client,
    dataDir,
    logs,
    stop: async () => {
      client.destroy();
      await platform.destroy();
      if (flags.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Keeps the operator's runtime cache location (or the default) for test platforms, and the isolation
 * choice, so the suite can run sandboxed (the default where the host allows it) and as plain processes.
 */
function cacheEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['SELFLESS_RUNTIME_CACHE', 'XDG_CACHE_HOME', 'HOME', 'SELFLESS_ISOLATION']) if (process.env[key] !== undefined) env[key] = process.env[key];
  return env;
}

export const ROLE = 'arn:aws:iam::000000000000:role/test';
