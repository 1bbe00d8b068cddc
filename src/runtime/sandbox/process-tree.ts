import { access, readFile } from 'node:fs/promises';

/** Every process under `pid` (itself included), following /proc/<pid>/task/<tid>/children. */
export async function processTree(pid: number): Promise<number[]> {
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && tree.length < 4096) {
    const next = queue.shift()!;
    tree.push(next);
    const tasks = await readFile(`/proc/${next}/task/${next}/children`, 'utf8').catch(() => '');
    for (const child of tasks.split(' ')) if (child.trim()) queue.push(Number(child));
  }
  return tree;
}

/** The first child of the first child … of `pid`, `depth` generations down, if there is one. */
export async function firstDescendant(pid: number | undefined, depth: number): Promise<number | undefined> {
  let current = pid;
  for (let generation = 0; generation < depth && current !== undefined; generation += 1) {
    const children = await readFile(`/proc/${current}/task/${current}/children`, 'utf8').catch(() => '');
    const first = children.trim().split(/\s+/)[0];
    current = first ? Number(first) : undefined;
  }
  return current;
}

/** Resolves once none of `pids` exists any more (reaped, not only dead), or after `timeoutMs`. */
export async function whenGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  let left = [...pids];
  for (const end = Date.now() + timeoutMs; left.length > 0 && Date.now() < end; await new Promise((resolve) => setTimeout(resolve, 10))) {
    const still = await Promise.all(
      left.map((p) =>
        access(`/proc/${p}`).then(
          () => true,
          () => false,
        ),
      ),
    );
    left = left.filter((_, i) => still[i]);
  }
}
