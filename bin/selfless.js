#!/usr/bin/env node
// The CLI is written in TypeScript; this file only starts its compiled form.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('error: selfless is not built yet; run `npm run build` in its folder first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exit(await main(process.argv));
