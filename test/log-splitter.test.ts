import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogLineSplitter, MAX_LOG_EVENT_BYTES } from '../src/runtime/log-format.js';

function split(chunks: readonly (string | Buffer)[], maxBytes?: number): string[] {
  const lines: string[] = [];
  const splitter = new LogLineSplitter((line) => lines.push(line), maxBytes);
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  splitter.flush();
  return lines;
}

describe('log line splitter', () => {
  it('splits on newlines across chunk boundaries and keeps a last line without one', () => {
    assert.deepEqual(split(['a\nb', 'c\n\nd', 'e']), ['a', 'bc', '', 'de']);
  });

  it('keeps a multi-byte character split across two chunks whole', () => {
    const bytes = Buffer.from('é€\n');
    assert.deepEqual(split([bytes.subarray(0, 1), bytes.subarray(1, 3), bytes.subarray(3)]), ['é€']);
  });

  it('cuts a line longer than the cap into events of at most the cap, losing nothing', () => {
    const text = 'x'.repeat(MAX_LOG_EVENT_BYTES * 2 + 10);
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 1000) chunks.push(text.slice(i, i + 1000));
    const lines = split([...chunks, '\nafter\n']);
    assert.deepEqual(
      lines.map((l) => l.length),
      [MAX_LOG_EVENT_BYTES, MAX_LOG_EVENT_BYTES, 10, 5],
    );
    assert.equal(lines.slice(0, 3).join(''), text);
  });

  it('cuts between UTF-8 characters, never inside one', () => {
    const text = '€'.repeat(100); // 3 bytes each
    const lines = split([text], 10);
    for (const line of lines) {
      assert.ok(Buffer.byteLength(line) <= 10);
      assert.ok(!line.includes('\uFFFD'), 'a character was cut in two');
    }
    assert.equal(lines.join(''), text);
  });

  it('holds a long line without newlines in pieces: a million one-byte chunks stay linear', { timeout: 60_000 }, () => {
    // The old splitter re-joined and re-split the whole partial line per chunk (quadratic): this input
    // would take minutes. Bounded by the test runner's timeout, not by a timed assertion.
    const lines: string[] = [];
    const splitter = new LogLineSplitter((line) => lines.push(line));
    const one = Buffer.from('y');
    for (let i = 0; i < 1_000_000; i += 1) splitter.push(one);
    splitter.flush();
    assert.equal(lines.join('').length, 1_000_000);
    assert.ok(lines.every((l) => Buffer.byteLength(l) <= MAX_LOG_EVENT_BYTES));
  });
});
