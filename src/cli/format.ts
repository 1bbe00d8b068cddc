import { usageError } from './errors.js';

/** Left-aligned columns, two spaces apart; numbers are the caller's to pre-format. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since` values: a duration back from now (`90s`, `10m`, `2h`, `7d`, `1w`) or an ISO 8601 time.
 * Returns epoch milliseconds.
 */
export function parseSince(value: string, now: number = Date.now()): number {
  const relative = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(value.trim());
  if (relative) return Math.max(0, Math.floor(now - Number(relative[1]) * UNIT_MS[relative[2]!]!));
  // Bare numbers would be ambiguous (seconds? epoch?), so only ISO-looking text goes to Date.
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw usageError(`--since '${value}' is neither a duration (30s, 10m, 2h, 7d) nor an ISO time (2025-01-31T12:00:00Z)`);
}

/** Writes to stdout and resolves once the data is handed to the OS, so an exit right after loses nothing. */
export function out(text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
}

export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export const json = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);
