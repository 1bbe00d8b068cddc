import { availableParallelism, homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';

/**
 * Public on-demand prices (us-east-1), https://aws.amazon.com/lambda/pricing/ : per GB-second by
 * architecture and per million requests. Operators override them with SELFLESS_PRICE_* variables.
 */
export const DEFAULT_PRICES = {
  x86GbSecond: 0.0000166667,
  armGbSecond: 0.0000133334,
  perMillionRequests: 0.2,
} as const;

/** The platform's own log. `text`: one readable line per entry (the default, for a terminal); `json`: pino's JSON lines, for a log shipper. */
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const portSchema = z.coerce.number().int().min(0).max(65535);

const configSchema = z.object({
  host: z.string().min(1),
  port: portSchema,
  dataDir: z.string().min(1),
  /** Where event sources are, per ARN, beyond the server's standard AWS configuration (sources/overrides.ts). */
  sourcesFile: z.string().min(1),
  region: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must look like us-east-1'),
  accountId: z.string().regex(/^\d{12}$/, 'must be 12 digits'),
  accessKeyId: z.string().min(16).max(128).optional(),
  secretAccessKey: z.string().min(16).optional(),
  idleTimeoutMs: z.coerce.number().int().min(1),
  runtimeCacheDir: z.string().min(1),
  allowDeprecatedRuntimes: z.boolean(),
  prestart: z.boolean(),
  accountConcurrency: z.number().int().min(10, 'must be at least 10'),
  async: z.object({
    retryDelaysMs: z.array(z.number().int().min(0)).min(1, 'needs at least one delay'),
    deferralBaseMs: z.number().int().min(1),
    deferralMaxMs: z.number().int().min(1),
    maxInFlight: z.number().int().min(1),
    maxInFlightPerFunction: z.number().int().min(1),
  }),
  isolation: z.enum(['auto', 'sandbox', 'none'], { message: 'must be auto, sandbox or none' }),
  logs: z.object({
    maxBytesPerFunction: z
      .number()
      .int('SELFLESS_LOG_MAX_MB_PER_FUNCTION must be a whole number of MB')
      .min(1024 * 1024, 'SELFLESS_LOG_MAX_MB_PER_FUNCTION must be at least 1'),
    retentionMs: z.number().positive('SELFLESS_LOG_RETENTION_DAYS must be more than 0'),
  }),
  frontDoor: z.object({
    maxConnections: z.number().int().min(1, 'SELFLESS_MAX_CONNECTIONS must be at least 1'),
    maxConnectionsPerIp: z.number().int().min(1, 'SELFLESS_MAX_CONNECTIONS_PER_IP must be at least 1'),
    bodyTimeoutMs: z.number().int().min(1, 'SELFLESS_BODY_TIMEOUT_MS must be at least 1'),
    maxUnverifiedBodyBytes: z
      .number()
      .int()
      .min(1024 * 1024, 'SELFLESS_MAX_UNVERIFIED_BODY_MB must be at least 1'),
  }),
  /** The platform's own log (functions' logs are `logs`). */
  serverLog: z.object({
    format: z.enum(LOG_FORMATS, { message: `SELFLESS_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}` }),
    level: z.enum(LOG_LEVELS, { message: `SELFLESS_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }),
    /** One line per API request (method, path, status, time, operation, caller): off unless asked for. */
    access: z.boolean(),
  }),
  /** Invocation records kept per function (`selfless history`); the oldest go first. */
  historyPerFunction: z.number().int().min(1, 'SELFLESS_HISTORY_PER_FUNCTION must be at least 1'),
  /** Keep each invocation's event, encrypted, so `selfless replay` can send it again (off by default). */
  historyPayloads: z.boolean(),
  /** A bearer token that lets a Prometheus scraper read /metrics without signing (SigV4 works too). */
  metricsToken: z.string().min(16, 'SELFLESS_METRICS_TOKEN must be at least 16 characters').optional(),
  prices: z.object({ x86GbSecond: z.number().nonnegative(), armGbSecond: z.number().nonnegative(), perMillionRequests: z.number().nonnegative() }),
});

export type PlatformConfig = Readonly<z.infer<typeof configSchema>>;

export interface ConfigFlags {
  host?: string;
  port?: number | string;
  dataDir?: string;
  allowDeprecatedRuntimes?: boolean;
  idleTimeoutMs?: number | string;
  runtimeCacheDir?: string;
  isolation?: string;
  prestart?: boolean;
  logFormat?: string;
  accessLog?: boolean;
}

/** The runtime cache shared by every data dir: $SELFLESS_RUNTIME_CACHE, else the XDG cache dir. */
export function defaultRuntimeCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SELFLESS_RUNTIME_CACHE) return resolve(env.SELFLESS_RUNTIME_CACHE);
  // The XDG base-directory spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'selfless', 'runtimes');
}

/** Lambda's async timings and our async concurrency, each overridable by an environment variable. */
function asyncTuning(env: NodeJS.ProcessEnv): unknown {
  const list = (raw: string | undefined) => (raw === undefined ? undefined : raw.split(',').map((v) => Number(v.trim())));
  const [deferralBaseMs, deferralMaxMs] = list(env.SELFLESS_ASYNC_BACKOFF_MS) ?? [DEFAULT_ASYNC_TIMINGS.deferralBaseMs, DEFAULT_ASYNC_TIMINGS.deferralMaxMs];
  const cores = availableParallelism();
  return {
    retryDelaysMs: list(env.SELFLESS_ASYNC_RETRY_DELAYS_MS) ?? DEFAULT_ASYNC_TIMINGS.retryDelaysMs,
    deferralBaseMs,
    deferralMaxMs,
    maxInFlight: env.SELFLESS_ASYNC_CONCURRENCY === undefined ? Math.max(4, cores * 4) : Number(env.SELFLESS_ASYNC_CONCURRENCY),
    maxInFlightPerFunction: env.SELFLESS_ASYNC_FUNCTION_CONCURRENCY === undefined ? Math.max(2, cores * 2) : Number(env.SELFLESS_ASYNC_FUNCTION_CONCURRENCY),
  };
}

/**
 * Lambda's: about 1 and 2 minutes before the 1st and 2nd retry of a function error; throttles and
 * platform errors back off from 1 s, doubling, up to 5 minutes (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 */
export const DEFAULT_ASYNC_TIMINGS = { retryDelaysMs: [60_000, 120_000], deferralBaseMs: 1_000, deferralMaxMs: 300_000 } as const;

/** Builds the one validated, frozen configuration from flags (win) and environment variables. */
export function loadConfig(env: NodeJS.ProcessEnv, flags: ConfigFlags = {}): PlatformConfig {
  const number = (raw: string | undefined, fallback: number) => (raw === undefined ? fallback : Number(raw));
  const price = (name: string, fallback: number) => number(env[name], fallback);
  const dataDir = resolve(flags.dataDir ?? env.SELFLESS_DATA_DIR ?? '.selfless');
  const raw = {
    host: flags.host ?? env.SELFLESS_HOST ?? '127.0.0.1',
    port: flags.port ?? env.SELFLESS_PORT ?? 8900,
    dataDir,
    sourcesFile: env.SELFLESS_SOURCES_FILE ? resolve(env.SELFLESS_SOURCES_FILE) : join(dataDir, 'sources.json'),
    region: env.SELFLESS_REGION ?? 'us-east-1',
    accountId: env.SELFLESS_ACCOUNT_ID ?? '000000000000',
    accessKeyId: env.SELFLESS_ACCESS_KEY_ID || undefined,
    secretAccessKey: env.SELFLESS_SECRET_ACCESS_KEY || undefined,
    idleTimeoutMs: flags.idleTimeoutMs ?? env.SELFLESS_IDLE_TIMEOUT_MS ?? 300_000,
    runtimeCacheDir: flags.runtimeCacheDir ?? defaultRuntimeCacheDir(env),
    allowDeprecatedRuntimes: flags.allowDeprecatedRuntimes ?? env.SELFLESS_ALLOW_DEPRECATED_RUNTIMES === '1',
    isolation: flags.isolation ?? env.SELFLESS_ISOLATION ?? 'auto',
    prestart: flags.prestart ?? env.SELFLESS_PRESTART !== '0',
    async: asyncTuning(env),
    // A developer machine's budget: 64 MB per function (a few hundred thousand lines), kept a week.
    logs: {
      maxBytesPerFunction: number(env.SELFLESS_LOG_MAX_MB_PER_FUNCTION, 64) * 1024 * 1024,
      retentionMs: number(env.SELFLESS_LOG_RETENTION_DAYS, 7) * 86_400_000,
    },
    // Generous for one user's tools and functions, small enough that no one caller can pin the host.
    frontDoor: {
      maxConnections: number(env.SELFLESS_MAX_CONNECTIONS, 1024),
      maxConnectionsPerIp: number(env.SELFLESS_MAX_CONNECTIONS_PER_IP, 256),
      bodyTimeoutMs: number(env.SELFLESS_BODY_TIMEOUT_MS, 120_000),
      maxUnverifiedBodyBytes: number(env.SELFLESS_MAX_UNVERIFIED_BODY_MB, 256) * 1024 * 1024,
    },
    serverLog: {
      format: flags.logFormat ?? env.SELFLESS_LOG_FORMAT ?? 'text',
      level: env.SELFLESS_LOG_LEVEL ?? 'info',
      access: flags.accessLog ?? env.SELFLESS_ACCESS_LOG === '1',
    },
    metricsToken: env.SELFLESS_METRICS_TOKEN || undefined,
    historyPerFunction: number(env.SELFLESS_HISTORY_PER_FUNCTION, 1000),
    historyPayloads: env.SELFLESS_HISTORY_PAYLOADS === '1',
    // Lambda's default account limit; GetAccountSettings reports it, reservations come out of it.
    accountConcurrency: env.SELFLESS_CONCURRENCY_LIMIT === undefined ? 1000 : Number(env.SELFLESS_CONCURRENCY_LIMIT),
    prices: {
      x86GbSecond: price('SELFLESS_PRICE_X86_GB_SECOND', DEFAULT_PRICES.x86GbSecond),
      armGbSecond: price('SELFLESS_PRICE_ARM_GB_SECOND', DEFAULT_PRICES.armGbSecond),
      perMillionRequests: price('SELFLESS_PRICE_PER_MILLION_REQUESTS', DEFAULT_PRICES.perMillionRequests),
    },
  };
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  if ((parsed.data.accessKeyId === undefined) !== (parsed.data.secretAccessKey === undefined)) {
    throw new Error('invalid configuration: set both SELFLESS_ACCESS_KEY_ID and SELFLESS_SECRET_ACCESS_KEY, or neither');
  }
  return Object.freeze(parsed.data);
}
