import { closeSync, readdirSync, readFileSync } from 'node:fs';

/** O_CLOEXEC as /proc/<pid>/fdinfo shows it in `flags:` (octal). */
const O_CLOEXEC = 0o2000000;

/**
 * Closes the descriptors this process inherited from whatever started it, so no environment can read
 * them: neither Node's spawn nor bubblewrap closes descriptors that lack close-on-exec, and every
 * descriptor Node and SQLite open themselves has it. An inherited one is therefore any descriptor above
 * 2 without close-on-exec; Node's own IPC channel (NODE_CHANNEL_FD) is kept. Returns what was closed.
 */
export function closeInheritedDescriptors(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return []; // not Linux
  }
  const keep = new Set([0, 1, 2, Number(process.env.NODE_CHANNEL_FD ?? -1)]);
  const closed: number[] = [];
  for (const entry of entries) {
    const fd = Number(entry);
    if (keep.has(fd)) continue;
    let flags: number;
    try {
      const match = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
      if (match === null) continue;
      flags = parseInt(match[1]!, 8);
    } catch {
      continue; // the directory listing's own descriptor, gone by now
    }
    if ((flags & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // Already closed.
    }
  }
  return closed;
}
