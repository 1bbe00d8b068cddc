import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latestRunBefore, nextRun, parseExpression, zonedTime } from '../src/schedules/expressions.js';

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const rule = (text: string) => parseExpression(text, { allowAt: false });

/** The next `count` runs after `from`, as ISO strings. */
function runs(text: string, from: string, count: number, timezone?: string): string[] {
  const recurrence = parseExpression(text, { allowAt: true, ...(timezone === undefined ? {} : { timezone }) });
  assert.ok(recurrence, `${text} parses`);
  const out: string[] = [];
  let after = utc(from);
  for (let i = 0; i < count; i += 1) {
    const next = nextRun(recurrence, { afterMs: after, anchorMs: utc(from) });
    if (next === undefined) break;
    out.push(iso(next)!);
    after = next;
  }
  return out;
}

describe('schedule expressions', () => {
  it('reads rate() with AWS singular and plural units, and refuses the rest', () => {
    assert.deepEqual(rule('rate(1 minute)'), { kind: 'rate', periodMs: 60_000 });
    assert.deepEqual(rule('rate(5 minutes)'), { kind: 'rate', periodMs: 300_000 });
    assert.deepEqual(rule('rate(2 hours)'), { kind: 'rate', periodMs: 7_200_000 });
    assert.deepEqual(rule('rate(1 day)'), { kind: 'rate', periodMs: 86_400_000 });
    for (const bad of [
      'rate(1 minutes)',
      'rate(5 minute)',
      'rate(0 minutes)',
      'rate(-1 minutes)',
      'rate(1 second)',
      'rate(1.5 hours)',
      'rate(5  minutes)',
      'rate(5 Minutes)',
    ]) {
      assert.equal(rule(bad), undefined, bad);
    }
  });

  it('counts rate periods from the anchor', () => {
    assert.deepEqual(runs('rate(5 minutes)', '2026-01-01T00:00:00Z', 3), ['2026-01-01T00:05:00.000Z', '2026-01-01T00:10:00.000Z', '2026-01-01T00:15:00.000Z']);
    const rate = rule('rate(1 hour)')!;
    // With a StartDate the first run is the StartDate itself.
    assert.equal(
      iso(nextRun(rate, { afterMs: utc('2026-01-01T00:00:00Z'), anchorMs: utc('2026-01-02T00:00:00Z'), startMs: utc('2026-01-02T00:00:00Z') })),
      '2026-01-02T00:00:00.000Z',
    );
    // None after the EndDate.
    assert.equal(nextRun(rate, { afterMs: utc('2026-01-01T00:30:00Z'), anchorMs: utc('2026-01-01T00:00:00Z'), endMs: utc('2026-01-01T00:59:00Z') }), undefined);
  });

  it("reads AWS's six-field cron with ? L W # and named months and days", () => {
    // Every day at 10:15 UTC.
    assert.deepEqual(runs('cron(15 10 * * ? *)', '2026-03-01T12:00:00Z', 2), ['2026-03-02T10:15:00.000Z', '2026-03-03T10:15:00.000Z']);
    // 18:00 Monday to Friday (AWS numbers days 1-7 from Sunday).
    assert.deepEqual(runs('cron(0 18 ? * MON-FRI *)', '2026-03-06T19:00:00Z', 2), ['2026-03-09T18:00:00.000Z', '2026-03-10T18:00:00.000Z']);
    assert.deepEqual(runs('cron(0 18 ? * 2-6 *)', '2026-03-06T19:00:00Z', 1), ['2026-03-09T18:00:00.000Z']);
    // 08:00 on the first day of every month.
    assert.deepEqual(runs('cron(0 8 1 * ? *)', '2026-01-15T00:00:00Z', 2), ['2026-02-01T08:00:00.000Z', '2026-03-01T08:00:00.000Z']);
    // The last day of the month, the last Friday, the weekday nearest the 15th, the first Monday.
    assert.deepEqual(runs('cron(0 0 L * ? *)', '2026-02-01T00:00:00Z', 2), ['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']);
    assert.deepEqual(runs('cron(0 12 ? * 6L *)', '2026-02-01T00:00:00Z', 1), ['2026-02-27T12:00:00.000Z']);
    assert.deepEqual(runs('cron(0 9 15W * ? *)', '2026-08-01T00:00:00Z', 1), ['2026-08-14T09:00:00.000Z']);
    assert.deepEqual(runs('cron(0 9 ? * 2#1 *)', '2026-06-02T00:00:00Z', 1), ['2026-07-06T09:00:00.000Z']);
    assert.deepEqual(runs('cron(0/15 * * JAN ? 2027)', '2026-06-01T00:00:00Z', 2), ['2027-01-01T00:00:00.000Z', '2027-01-01T00:15:00.000Z']);
  });

  it('refuses what EventBridge refuses in cron', () => {
    for (const bad of [
      'cron(0 10 * * *)', // five fields
      'cron(0 10 * * * *)', // neither day field is ?
      'cron(0 10 ? * ? *)', // both are
      'cron(0 10 1 * 2 *)', // both given
      'cron(60 10 * * ? *)',
      'cron(0 24 * * ? *)',
      'cron(0 10 ? * 8 *)',
      'cron(0 10 * * ? 1969)',
      'cron(0 10 * * ? 2200)',
      'cron(0 10 * 13 ? *)',
      'cron(? 10 * * ? *)',
      'cron(0 10 1#2 * ? *)',
      'cron(nonsense)',
      'every 5 minutes',
    ]) {
      assert.equal(rule(bad), undefined, bad);
    }
  });

  it('reads at() for Scheduler only, in its time zone', () => {
    assert.equal(rule('at(2026-05-01T10:00:00)'), undefined);
    assert.deepEqual(parseExpression('at(2026-05-01T10:00:00)', { allowAt: true }), { kind: 'at', atMs: utc('2026-05-01T10:00:00Z') });
    assert.deepEqual(parseExpression('at(2026-05-01T10:00:00)', { allowAt: true, timezone: 'Europe/Paris' }), {
      kind: 'at',
      atMs: utc('2026-05-01T08:00:00Z'),
    });
    assert.equal(parseExpression('at(2026-02-30T10:00:00)', { allowAt: true }), undefined);
    assert.equal(parseExpression('at(2026-05-01 10:00:00)', { allowAt: true }), undefined);
  });

  it('reads cron in the schedule time zone, across a daylight saving change', () => {
    // 09:00 in New York is 14:00 UTC in winter and 13:00 UTC after the change of 8 March 2026.
    assert.deepEqual(runs('cron(0 9 * * ? *)', '2026-03-06T15:00:00Z', 3, 'America/New_York'), [
      '2026-03-07T14:00:00.000Z',
      '2026-03-08T13:00:00.000Z',
      '2026-03-09T13:00:00.000Z',
    ]);
    assert.equal(zonedTime({ year: 2026, month: 7, day: 1, hour: 12, minute: 0, second: 0 }, 'Asia/Tokyo'), utc('2026-07-01T03:00:00Z'));
  });

  it('finds the latest run a stopped platform missed', () => {
    const cron = rule('cron(0 * * * ? *)')!;
    const window = { afterMs: utc('2026-01-01T00:00:00Z'), anchorMs: utc('2026-01-01T00:00:00Z') };
    assert.equal(iso(latestRunBefore(cron, window, utc('2026-01-01T05:30:00Z'))), '2026-01-01T05:00:00.000Z');
    assert.equal(iso(latestRunBefore(cron, window, utc('2026-01-01T05:00:00Z'))), '2026-01-01T05:00:00.000Z');
    assert.equal(latestRunBefore(cron, window, utc('2026-01-01T00:30:00Z')), undefined);
    const rate = rule('rate(10 minutes)')!;
    assert.equal(iso(latestRunBefore(rate, window, utc('2026-01-01T00:35:00Z'))), '2026-01-01T00:30:00.000Z');
  });
});
