import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { addConnectionOptions, withSession, type ConnectionFlags, type Session } from './client.js';
import { out, parseSince } from './format.js';

interface LogsFlags extends ConnectionFlags {
  follow?: boolean;
  since?: string;
}

interface LogEvent {
  readonly id: number;
  readonly timeMs: number;
  readonly stream: string;
  readonly message: string;
}

const PAGE = 1000;
const POLL_MS = 500;

export function registerLogs(program: Command): void {
  addConnectionOptions(
    program
      .command('logs')
      .description("print a function's log lines (START, its output, END, REPORT)")
      .argument('<name>', 'function name or ARN')
      .option('-f, --follow', 'keep printing new lines until Ctrl-C')
      .option('--since <when>', 'only lines from this long ago (30s, 10m, 2h, 7d) or since an ISO time'),
  ).action(async (name: string, flags: LogsFlags) => logs(name, flags));
}

async function logs(name: string, flags: LogsFlags): Promise<void> {
  const sinceMs = flags.since === undefined ? 0 : parseSince(flags.since);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  if (flags.follow) process.once('SIGINT', onSigint);
  try {
    await withSession(flags, async (s) => {
      let afterId = 0;
      for (;;) {
        const page = await readPage(s, name, { afterId, sinceMs }, stop.signal);
        if (page === undefined) return;
        const { events, more } = page;
        if (events.length > 0) {
          afterId = events[events.length - 1]!.id;
          await out(events.map((e) => `${e.message.replace(/\n$/, '')}\n`).join(''));
        }
        if (more || events.length === PAGE) continue;
        if (!flags.follow) return;
        // Polling rather than streaming keeps the route a plain signed GET that any HTTP client can use.
        const slept = await sleep(POLL_MS, true, { signal: stop.signal }).catch(() => false);
        if (!slept) return;
      }
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** One page of events; undefined once Ctrl-C has asked to stop. */
async function readPage(
  s: Session,
  name: string,
  at: { afterId: number; sinceMs: number },
  signal: AbortSignal,
): Promise<{ events: LogEvent[]; more: boolean } | undefined> {
  if (signal.aborted) return undefined;
  try {
    const body = await s.get<{ events: LogEvent[]; more?: boolean }>(
      `/selfless/v1/functions/${encodeURIComponent(name)}/logs`,
      { afterId: String(at.afterId), sinceMs: String(at.sinceMs), limit: String(PAGE) },
      signal,
    );
    return { events: body.events, more: body.more === true };
  } catch (error) {
    if (signal.aborted) return undefined;
    throw error;
  }
}
