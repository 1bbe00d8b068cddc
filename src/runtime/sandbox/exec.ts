import { spawn } from 'node:child_process';
import { lstat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

/** The path of an executable on PATH or in the system folders, if the host has it. */
export async function findExecutable(name: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
  for (const dir of new Set(dirs)) {
    const path = join(dir, name);
    try {
      if ((await lstat(path)).isFile() || (await lstat(path)).isSymbolicLink()) return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Runs a host tool to its end (at most 10 s) and collects what it printed; `mustSucceed` turns a failure
 * into a rejection. `fd3Input` is written to the child's descriptor 3 (a seccomp program for bwrap).
 */
export function run(command: string, args: readonly string[], mustSucceed = false, fd3Input?: Buffer): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', fd3Input === undefined ? 'ignore' : 'pipe'], timeout: 10_000 });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    if (fd3Input !== undefined) (child.stdio[3] as NodeJS.WritableStream).on('error', () => undefined).end(fd3Input);
    child.once('error', (error) => (mustSucceed ? reject(error) : resolve({ ok: false, output: error.message })));
    child.once('close', (code) => {
      output = output.trim();
      if (code !== 0 && mustSucceed) reject(new Error(`${command} ${args.join(' ')}: ${output || `exit ${code}`}`));
      else resolve({ ok: code === 0, output });
    });
  });
}
