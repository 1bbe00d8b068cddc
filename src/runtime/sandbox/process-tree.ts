import { readFile } from 'node:fs/promises';

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
