import { Cron } from 'croner';

/**
 * A schedule expression as EventBridge reads it: `rate(value unit)`, `cron(six fields)` and, for
 * Scheduler only, the one-time `at(yyyy-mm-ddThh:mm:ss)`.
 */
export type Recurrence =
  { readonly kind: 'rate'; readonly periodMs: number } | { readonly kind: 'cron'; readonly cron: Cron } | { readonly kind: 'at'; readonly atMs: number };

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.*)\)$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const UNIT_MS: Readonly<Record<string, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** EventBridge's Year field. */
const YEARS = { min: 1970, max: 2199 };

export interface ParseOptions {
  /** Scheduler's one-time schedules; rules have none. */
  readonly allowAt: boolean;
  /** The IANA zone cron and at() are read in (Scheduler's ScheduleExpressionTimezone); rules are UTC. */
  readonly timezone?: string;
}

/** The expression's recurrence, or undefined when EventBridge would refuse it. */
export function parseExpression(text: string, options: ParseOptions): Recurrence | undefined {
  const timezone = options.timezone ?? 'UTC';
  const rate = RATE.exec(text);
  if (rate !== null) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    // AWS: singular for 1, plural above (rate(1 hours) and rate(5 hour) are refused).
    if (value < 1 || (value === 1) !== !unit.endsWith('s')) return undefined;
    return { kind: 'rate', periodMs: value * UNIT_MS[unit.replace(/s$/, '')]! };
  }
  const cron = CRON.exec(text);
  if (cron !== null) {
    const pattern = cronPattern(cron[1]!);
    if (pattern === undefined) return undefined;
    try {
      // AWS's fields, with a seconds field of 0 in front: minute precision, as EventBridge has.
      return {
        kind: 'cron',
        cron: new Cron(`0 ${pattern}`, { paused: true, timezone, mode: '7-part', alternativeWeekdays: true, domAndDow: true, sloppyRanges: true }),
      };
    } catch {
      return undefined;
    }
  }
  const at = options.allowAt ? AT.exec(text) : null;
  if (at !== null) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const atMs = zonedTime({ year, month, day, hour, minute, second }, timezone);
    return atMs === undefined ? undefined : { kind: 'at', atMs };
  }
  return undefined;
}

/**
 * AWS's six cron fields in croner's syntax, or undefined for what AWS refuses: exactly one of
 * day-of-month and day-of-week is `?` (AWS's "no specific value", which croner would read as "now"),
 * so the other decides alone; `5L` (the last Friday) is croner's `5#L`, a lone `L` in day-of-week is
 * Saturday as in Quartz; years are 1970–2199.
 */
function cronPattern(fields: string): string | undefined {
  const parts = fields.trim().split(/\s+/);
  if (parts.length !== 6) return undefined;
  const [minute, hour, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) return undefined;
  if ([minute, hour, month, year].includes('?')) return undefined;
  if (/[LW]/i.test(minute + hour + month + year) || /#/.test(dom) || /W/i.test(dow)) return undefined;
  if (!year.split(',').every(yearsWithin)) return undefined;
  if (dow !== '?' && !dow.split(',').every(weekdayWithin)) return undefined;
  const weekdays = dow === '?' ? '*' : dow.toUpperCase() === 'L' ? '7' : dow.replace(/^(\w+)L$/i, '$1#L');
  return [minute, hour, dom === '?' ? '*' : dom, month, weekdays, year].join(' ');
}

/** One item of the day-of-week field: its days are 1–7 (Sunday to Saturday) or names, as AWS numbers them (croner would also take 0). */
function weekdayWithin(item: string): boolean {
  const days = item.replace(/L$/i, '').split('#')[0]!.split('/')[0]!.split('-');
  return days.every((d) => d === '*' || d === '' || /^[A-Za-z]{3}$/.test(d) || (/^\d$/.test(d) && Number(d) >= 1 && Number(d) <= 7));
}

/** One item of the Year field (`*`, `2030`, `2030-2040`, `2030/2`, or a step of `*`): its years within 1970–2199. */
function yearsWithin(item: string): boolean {
  const [range, step] = item.split('/');
  if (step !== undefined && !/^\d+$/.test(step)) return false;
  if (range === '*') return true;
  const bounds = range!.split('-');
  return bounds.length <= 2 && bounds.every((b) => /^\d+$/.test(b) && Number(b) >= YEARS.min && Number(b) <= YEARS.max);
}

/** Where a run stands: after what it is asked for, and the bounds it keeps. */
export interface Window {
  /** The next run is after this instant. */
  readonly afterMs: number;
  /** A rate counts its periods from here (the schedule's creation, or its StartDate). */
  readonly anchorMs: number;
  /** Runs at or after StartDate only; a rate with a StartDate runs at the StartDate itself. */
  readonly startMs?: number;
  /** No run after EndDate. */
  readonly endMs?: number;
}

/** The first run after `window.afterMs`, or undefined when there is none (an at() passed, EndDate reached). */
export function nextRun(recurrence: Recurrence, window: Window): number | undefined {
  const after = Math.max(window.afterMs, (window.startMs ?? -Infinity) - 1);
  let next: number | undefined;
  switch (recurrence.kind) {
    case 'at':
      next = recurrence.atMs > window.afterMs ? recurrence.atMs : undefined;
      return next;
    case 'rate': {
      const first = window.startMs === undefined ? 1 : 0;
      const periods = Math.max(first, Math.floor((after - window.anchorMs) / recurrence.periodMs) + 1);
      next = window.anchorMs + periods * recurrence.periodMs;
      break;
    }
    case 'cron':
      next = recurrence.cron.nextRun(new Date(after))?.getTime();
      break;
  }
  return next === undefined || (window.endMs !== undefined && next > window.endMs) ? undefined : next;
}

/**
 * The latest run due at or before `nowMs` and after `window.afterMs`: the run a stopped platform missed
 * most recently, if any.
 */
export function latestRunBefore(recurrence: Recurrence, window: Window, nowMs: number): number | undefined {
  let latest: number | undefined;
  switch (recurrence.kind) {
    case 'at':
      latest = recurrence.atMs <= nowMs ? recurrence.atMs : undefined;
      break;
    case 'rate': {
      const first = window.startMs === undefined ? 1 : 0;
      const periods = Math.floor((Math.min(nowMs, window.endMs ?? Infinity) - window.anchorMs) / recurrence.periodMs);
      latest = periods >= first ? window.anchorMs + periods * recurrence.periodMs : undefined;
      break;
    }
    case 'cron': {
      const reference = new Date(Math.min(nowMs, window.endMs ?? Infinity) + 1);
      latest = recurrence.cron.previousRuns(1, reference)[0]?.getTime();
      break;
    }
  }
  if (latest === undefined || latest <= window.afterMs || latest < (window.startMs ?? -Infinity)) return undefined;
  return latest;
}

interface WallTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** A wall-clock time in an IANA zone as epoch ms; undefined for a date that does not exist (Feb 30). */
export function zonedTime(wall: WallTime, timezone: string): number | undefined {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== wall.month - 1 || check.getUTCDate() !== wall.day || wall.hour > 23 || wall.minute > 59 || wall.second > 59) return undefined;
  // The zone's offset at that instant, then once more at the corrected instant (a DST change in between).
  let ms = asUtc - offsetMs(asUtc, timezone);
  ms = asUtc - offsetMs(ms, timezone);
  return ms;
}

function offsetMs(ms: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/** Whether an IANA zone name is one this host knows (Scheduler's ScheduleExpressionTimezone). */
export function knownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
