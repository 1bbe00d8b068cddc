// Not exported from core/index.js: only the server loads pino, not every CLI command.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { ReportError } from './background.js';
import type { LogFormat, LogLevel } from './config.js';

/**
 * The platform's own log (not functions' logs, which are stored per function): pino, so lines are
 * structured and child loggers carry who they are about (`requestId` per API request, `environmentId`,
 * `functionName` and `version` per execution environment).
 */
export type Logger = PinoLogger;
export type { LogFormat, LogLevel };

/** pino's level numbers: warn and above go to stderr in text format. */
const WARN = 40;

export interface LoggerOptions {
  readonly format: LogFormat;
  readonly level: LogLevel;
  /** Where text lines go (default: info and below to stdout, warn and above to stderr). Tests collect them. */
  readonly textSink?: (line: string, level: number) => void;
}

export function createLogger(options: LoggerOptions): Logger {
  if (options.format === 'json') {
    return pino({ level: options.level, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 1, sync: true }));
  }
  const sink = options.textSink ?? ((line: string, level: number) => (level >= WARN ? process.stderr : process.stdout).write(`${line}\n`));
  return pino({ level: options.level, base: undefined, timestamp: false }, textDestination(sink));
}

/** Fields every entry has, or that the text line shows in its own place. */
const OWN_PLACE = new Set(['level', 'time', 'msg', 'err', 'pid', 'hostname']);

/**
 * pino's JSON entry as one line: `selfless: <message> (key=value …)`, then an error's stack. The platform
 * logs little (start, warnings, failures; the access log when asked for), so parsing each entry back is
 * cheap enough, and spares a formatting dependency.
 */
export function textLine(json: string): { line: string; level: number } {
  const entry = JSON.parse(json) as Record<string, unknown>;
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const fields = Object.entries(entry)
    .filter(([key]) => !OWN_PLACE.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  let line = `selfless: ${typeof entry.msg === 'string' ? entry.msg : ''}${fields.length > 0 ? ` (${fields.join(' ')})` : ''}`;
  const err = entry.err as { stack?: unknown; message?: unknown } | undefined;
  if (err !== undefined) line += `\n${typeof err.stack === 'string' ? err.stack : String(err.message ?? JSON.stringify(err))}`;
  return { line, level };
}

function textDestination(sink: (line: string, level: number) => void): DestinationStream {
  return {
    write(json: string) {
      const { line, level } = textLine(json);
      sink(line, level);
    },
  };
}

/** A ReportError that logs to `log`: `<what> failed`, with the error. */
export function reportTo(log: Logger): ReportError {
  return (what, error) => log.error({ err: error }, `${what} failed`);
}
