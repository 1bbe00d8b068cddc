import { readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { makeZip, nodeZip } from '../test/support/zip.js';
import { descendantPids } from './cpu.js';
import { post } from './http-client.js';
import { createEchoFunction, invokeUrl, RUNTIME, PYTHON_VERSION, sleep, type EchoKind } from './scenarios.js';
import type { PlatformInfo } from './server.js';
import { signedPost } from './sign.js';

/** Idle environments per GB of memory, from the proportional set size (PSS) of their processes. */
export interface Density {
  readonly language: string;
  /** Runtime processes that the burst added (environments, and any pre-started replacements). */
  readonly environments: number;
  /** PSS the processes below the platform gained, MB, per added runtime process (its sandbox's processes included). */
  readonly pssMbPerEnvironment: number;
  readonly perGb: number;
}

/** Holds each invoke 300 ms, so that `n` invokes sent at once need `n` environments. */
const HOLDING: Record<'Node' | 'Python', EchoKind> = {
  Node: {
    language: 'Node',
    runtime: RUNTIME,
    handler: 'index.handler',
    zip: () => nodeZip('exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 300)); return e; };\n'),
  },
  Python: {
    language: 'Python',
    runtime: `python${PYTHON_VERSION}` as EchoKind['runtime'],
    handler: 'app.handler',
    zip: () => makeZip({ 'app.py': 'import time\ndef handler(event, context):\n    time.sleep(0.3)\n    return event\n' }),
  },
};

const RUNTIME_COMMANDS = /^(node|python3(\.\d+)?)$/;

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function tree(platformPid: number): Promise<{ pssKb: number; runtimes: number }> {
  let total = 0;
  let runtimes = 0;
  for (const pid of await descendantPids(platformPid)) {
    total += pssKb(pid);
    if (RUNTIME_COMMANDS.test(commandOf(pid))) runtimes += 1;
  }
  return { pssKb: total, runtimes };
}

/**
 * `n` invokes of a new function sent at once, so it has `n` environments; once they are idle (and the
 * pool's replacements have started), what the processes below the platform gained, per runtime process
 * added. PSS counts pages shared between environments (the runtime's binary, the system libraries) once
 * across them, as the memory they cost together.
 */
export async function idleDensity(lambda: LambdaClient, platform: PlatformInfo, platformPid: number, language: 'Node' | 'Python', n: number): Promise<Density> {
  const name = `density-${language.toLowerCase()}`;
  await createEchoFunction(lambda, name, HOLDING[language]);
  await sleep(2000);
  const before = await tree(platformPid);
  const url = invokeUrl(platform, name);
  const headers = await signedPost(url, '{}', platform);
  const agents = Array.from({ length: n }, () => new Agent({ keepAlive: false }));
  const replies = await Promise.all(agents.map((agent) => post(url, headers, '{}', agent)));
  const failed = replies.filter((r) => r.status !== 200 || r.functionError !== undefined);
  if (failed.length > 0) throw new Error(`density ${language}: ${failed.length} of ${n} invokes failed: ${failed[0]!.body.slice(0, 300)}`);
  // Idle, and any replacement of the pool booted.
  await sleep(3000);
  const after = await tree(platformPid);
  const environments = after.runtimes - before.runtimes;
  const pssMbPerEnvironment = (after.pssKb - before.pssKb) / 1024 / Math.max(1, environments);
  return { language, environments, pssMbPerEnvironment, perGb: 1024 / pssMbPerEnvironment };
}
