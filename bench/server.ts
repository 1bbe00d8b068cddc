import { rm } from 'node:fs/promises';
import { loadConfig } from '../src/core/index.js';
import { createLogger } from '../src/core/logger.js';
import { createPlatform } from '../src/platform.js';
import { ensureLambdaRole } from '../test/support/roles.js';
import { announce, exitWhenParentLeaves } from './children.js';

/** What the platform child tells the benchmark when it is ready. */
export interface PlatformInfo {
  readonly url: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Where the platform finds runtime builds, so the benchmark can time the very binary it launches. */
  readonly runtimeCacheDir: string;
}

const dataDir = process.env.SELFLESS_BENCH_DATA_DIR;
if (!dataDir) {
  console.error('bench/server: SELFLESS_BENCH_DATA_DIR must name a temporary data dir (it is deleted on exit)');
  process.exit(2);
}

// stdout carries only the ready line; everything the platform says goes to stderr, which the parent relays.
const config = loadConfig(process.env, { port: 0, host: '127.0.0.1', dataDir });
const logger = createLogger({ ...config.serverLog, textSink: (line) => process.stderr.write(`${line}\n`) });
const platform = await createPlatform(config, { logger });
// The role the benchmark's functions run as: CreateFunction refuses one IAM does not hold.
await ensureLambdaRole({ url: platform.url, region: config.region, credentials: platform.rootKey }, 'bench');
// destroy, not close: the benchmark is over when this is asked, so nothing in flight is worth draining.
// The data dir is the benchmark's throwaway: removing it here too covers a parent that was SIGKILLed.
exitWhenParentLeaves(async () => {
  await platform.destroy();
  await rm(dataDir, { recursive: true, force: true });
});
announce({
  url: platform.url,
  region: config.region,
  accessKeyId: platform.rootKey.accessKeyId,
  secretAccessKey: platform.rootKey.secretAccessKey,
  runtimeCacheDir: config.runtimeCacheDir,
} satisfies PlatformInfo);
