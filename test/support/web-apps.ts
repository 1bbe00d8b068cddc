import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AddPermissionCommand, CreateFunctionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { ROLE, type TestPlatform } from './platform.js';
import { makeZip, type ZipEntry } from './zip.js';

/**
 * Real web apps from the npm registry (test/fixtures/web-apps: Express 5 behind serverless-http, Hono with
 * hono/aws-lambda), pinned in the fixture's own package-lock.json and deployed with their node_modules as a
 * user would zip them.
 */
export const WEB_APPS_FIXTURE = fileURLToPath(new URL('../../../test/fixtures/web-apps/', import.meta.url));
export const WEB_APPS_INSTALL = 'npm ci --prefix test/fixtures/web-apps';

/** Each app's function name and handler (the fixture's `<file>.mjs`, export `handler`). */
export const WEB_APPS = [
  { name: 'express', handler: 'express-app.handler' },
  { name: 'hono', handler: 'hono-app.handler' },
] as const;

export type WebAppName = (typeof WEB_APPS)[number]['name'];

/** Throws, saying how to install it, when the fixture's node_modules is missing (CI installs it). */
export function assertWebAppsInstalled(): void {
  for (const pkg of ['express', 'serverless-http', 'hono'])
    if (!existsSync(join(WEB_APPS_FIXTURE, 'node_modules', pkg, 'package.json')))
      throw new Error(`the web-apps fixture is not installed (no test/fixtures/web-apps/node_modules/${pkg}): run \`${WEB_APPS_INSTALL}\``);
}

/** The bytes the apps answer GET /image.png with (the fixture's image.mjs). */
export async function webAppImage(): Promise<Buffer> {
  const module = (await import(pathToFileURL(join(WEB_APPS_FIXTURE, 'image.mjs')).href)) as { IMAGE: Buffer };
  return module.IMAGE;
}

/** The fixture folder as a code zip: the apps and every regular file of node_modules, modes kept. */
export async function webAppsZip(): Promise<Buffer> {
  const files: Record<string, ZipEntry> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      // node_modules/.bin holds symlinks to the packages' own files, which are zipped anyway.
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files[relative(WEB_APPS_FIXTURE, path)] = { content: await readFile(path), mode: (await stat(path)).mode };
    }
  };
  await walk(WEB_APPS_FIXTURE);
  return makeZip(files);
}

/**
 * Deploys both apps from one zip of the fixture, each with a public function URL (AuthType NONE and the
 * grant Lambda asks for: `lambda:InvokeFunctionUrl` for `*` with `FunctionUrlAuthType` NONE), and returns
 * each app's FunctionUrl as the API printed it.
 */
export async function deployWebApps(t: TestPlatform): Promise<Record<WebAppName, string>> {
  const zip = await webAppsZip();
  const urls = {} as Record<WebAppName, string>;
  for (const { name, handler } of WEB_APPS) {
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: handler,
        Timeout: 15,
        MemorySize: 256,
        Role: ROLE,
        Code: { ZipFile: zip },
      }),
    );
    const { FunctionUrl } = await t.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE' }));
    await t.client.send(
      new AddPermissionCommand({
        FunctionName: name,
        StatementId: 'public-url',
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '*',
        FunctionUrlAuthType: 'NONE',
      }),
    );
    urls[name] = FunctionUrl!;
  }
  return urls;
}
