import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MountHelper } from '../src/runtime/sandbox/mount-helper.js';

/** The mount options of whatever is mounted at `path` (from this process's mountinfo), if anything is. */
function mountOptions(path: string): string[] | undefined {
  const line = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.split(' ')[4] === path)
    .pop();
  return line?.split(' ')[5]?.split(',');
}

const asRoot = process.getuid?.() === 0 && process.platform === 'linux';

describe('the mount helper of pre-started sandboxes', () => {
  const helpers: MountHelper[] = [];
  after(() => helpers.forEach((h) => h.close()));

  it('binds code read-only, nosuid and nodev into a slot with mount(2), and detaches it', { skip: asRoot ? false : 'needs root on Linux' }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'selfless-mount-helper-'));
    try {
      const [code, stage, slot] = ['code', 'stage', 'slot'].map((name) => join(dir, name)) as [string, string, string];
      for (const d of [code, stage, slot]) await mkdir(d);
      writeFileSync(join(code, 'index.js'), 'exports.handler = async () => 1;\n');
      const helper = MountHelper.start();
      helpers.push(helper);
      await helper.bindReadOnly(code, stage, slot);
      assert.deepEqual(
        ['ro', 'nosuid', 'nodev'].filter((flag) => !mountOptions(slot)?.includes(flag)),
        [],
        `mounted ${mountOptions(slot)?.join(',')}`,
      );
      assert.equal(mountOptions(stage), undefined, 'nothing is left at the stage: the mount was moved');
      assert.equal(readFileSync(join(slot, 'index.js'), 'utf8'), 'exports.handler = async () => 1;\n');
      assert.throws(() => writeFileSync(join(slot, 'index.js'), 'changed'), { code: 'EROFS' });
      await helper.detach(slot);
      assert.equal(mountOptions(slot), undefined);
      assert.ok(helper.alive);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers a failing mount with its errno, and keeps serving', { skip: asRoot ? false : 'needs root on Linux' }, async () => {
    const helper = MountHelper.start();
    helpers.push(helper);
    await assert.rejects(helper.bindReadOnly('/nonexistent-source', '/nonexistent-stage', '/nonexistent-slot'), /bind: No such file or directory/);
    await assert.rejects(helper.detach('/nonexistent-slot'), /umount/);
    assert.ok(helper.alive);
  });

  it('is gone, and says so, when its interpreter cannot run (the sandbox then execs mount(8))', async () => {
    const helper = MountHelper.start('/nonexistent/python3');
    helpers.push(helper);
    await assert.rejects(helper.bindReadOnly('/a', '/b', '/c'), /the mount helper (could not run|exited)/);
    assert.equal(helper.alive, false);
  });
});
