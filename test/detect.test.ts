import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectIsolation, probeSandboxHost } from '../src/runtime/sandbox/detect.js';

describe('isolation detection', () => {
  it('probes the host once per process', () => {
    assert.equal(probeSandboxHost(), probeSandboxHost());
  });

  it('takes host facts from its caller, and falls back to plain processes with their reason', async () => {
    const { isolation, report } = await detectIsolation('auto', { usable: false, reason: 'environments are plain child processes: this test says so' });
    try {
      assert.equal(isolation.sandboxed, false);
      assert.equal(report.sandboxed, false);
      assert.deepEqual(report.features[0], { name: 'sandbox', active: false, detail: 'environments are plain child processes: this test says so' });
    } finally {
      await isolation.close();
    }
  });
});
