import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UidAllocator } from '../src/runtime/sandbox/uids.js';

describe('sandbox uids are taken under a host-wide lock', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'selfless-uids-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never hands one uid to two platforms, and gives a released one to the other', async () => {
    const a = new UidAllocator(5000, 3, join(dir, 'two'));
    const b = new UidAllocator(5000, 3, join(dir, 'two'));
    const taken = [a.allocate(), a.allocate(), b.allocate()];
    assert.equal(new Set(taken).size, 3, `${taken} handed out twice`);
    assert.throws(() => a.allocate(), /all 3 sandbox uids from 5000 are in use on this host/);
    assert.throws(() => b.allocate(), /in use on this host/);
    a.release(taken[0]!);
    assert.equal(b.allocate(), taken[0]);
    assert.deepEqual((await readdir(join(dir, 'two'))).sort(), taken.map(String).sort());
  });

  it('takes over the lock of a platform that died, and of a pid that now names another process', async () => {
    const locks = join(dir, 'stale');
    const allocator = new UidAllocator(7000, 2, locks);
    allocator.allocate(); // creates the folder
    allocator.release(7000);
    allocator.release(7001);
    // A platform killed outright leaves its locks: one of a pid that has exited, one of a live pid with another start time.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(join(locks, '7000'), `${dead} 12345`);
    await writeFile(join(locks, '7001'), `${process.pid} 1`);
    const got = [allocator.allocate(), allocator.allocate()].sort();
    assert.deepEqual(got, [7000, 7001]);
    assert.match(await readFile(join(locks, '7000'), 'utf8'), new RegExp(`^${process.pid} \\d+$`));
  });
});
