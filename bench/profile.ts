/** The parts of a V8 .cpuprofile (node --cpu-prof) that the budget reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const IDLE = new Set(['(idle)', '(root)']);

/**
 * Where a server's CPU went, as a table: each sample is charged to the nearest frame of selfless's own
 * code on its stack (so `src/auth/sigv4.ts` includes the HMACs it asks for), or, when none is on it, to
 * the Node internal or package it ran in (the HTTP parser, socket reads and writes). Shares are of busy
 * samples; µs per invoke apportions `cpuUsPerInvoke` (measured from /proc over the same load) by them.
 */
export function summarizeProfile(profile: CpuProfile, cpuUsPerInvoke: number, top = Number(process.env.PROFILE_ROWS ?? 24)): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stageOf = new Map<number, string>();
  const stage = (id: number): string => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    let found: string | undefined;
    for (let at: number | undefined = id; at !== undefined && found === undefined; at = parent.get(at)) {
      const url = byId.get(at)!.callFrame.url;
      const src = /\/dist\/(src\/.+)\.js$/.exec(url)?.[1];
      if (src !== undefined) found = `${src}.ts`;
    }
    found ??= placeOf(byId.get(id)!.callFrame);
    stageOf.set(id, found);
    return found;
  };
  const busy = new Map<string, number>();
  const leaves = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    if (IDLE.has(frame.functionName)) return;
    const dt = profile.timeDeltas[i] ?? 0;
    const key = stage(id);
    busy.set(key, (busy.get(key) ?? 0) + dt);
    const leaf = `${frame.functionName || '(anonymous)'} ${placeOf(frame)}:${frame.lineNumber + 1} ← ${key}`;
    leaves.set(leaf, (leaves.get(leaf) ?? 0) + dt);
    total += dt;
  });
  const line = (label: string, us: number) => `| ${label} | ${((100 * us) / total).toFixed(1)}% | ${((cpuUsPerInvoke * us) / total).toFixed(0)} µs |`;
  const table = (heading: string, counts: Map<string, number>, shownRows: number) => {
    const rows = [...counts].sort((a, b) => b[1] - a[1]);
    const rest = rows.slice(shownRows).reduce((sum, [, us]) => sum + us, 0);
    return [
      `| ${heading} | share of busy CPU | per invoke |`,
      '|---|---|---|',
      ...rows.slice(0, shownRows).map(([label, us]) => line(label, us)),
      ...(rest > 0 ? [line(`${rows.length - shownRows} others`, rest)] : []),
      `| total | 100% | ${cpuUsPerInvoke.toFixed(0)} µs |`,
    ].join('\n');
  };
  return `${table('stage (nearest selfless frame, else where it ran)', busy, top)}\n\n${table('function (self time) ← its stage', leaves, top)}`;
}

function placeOf(frame: { functionName: string; url: string }): string {
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : `native ${frame.functionName}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1];
  if (pkg !== undefined) return pkg;
  return frame.url.replace(/^node:/, 'node:');
}
