import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`.ci/run` installs it); playwright-core drives it over CDP and downloads no browser of its own. */
export const CHROMIUM = '/usr/bin/chromium';
/** Headless and quiet: no sandbox (CI runs as root), no GPU, nothing fetched in the background. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install it (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}
