import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startPlatform, type TestPlatform } from '../support/platform.js';
import { assertWebAppsInstalled, deployWebApps, WEB_APPS, webAppImage, type WebAppName } from '../support/web-apps.js';

describe('real web apps through function URLs in a real browser (Chromium): the page script runs, the form posts and the 303 lands', () => {
  let t: TestPlatform;
  let urls: Record<WebAppName, string>;
  let browser: Browser;

  before(async () => {
    assertWebAppsInstalled();
    t = await startPlatform();
    urls = await deployWebApps(t);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  for (const { name } of WEB_APPS) {
    it(`${name}: loads the page at the FunctionUrl as printed, runs its script, submits the form and shows the redirected page`, async () => {
      // The host form, <url-id>.lambda-url.<region>.localhost: Chromium resolves *.localhost to loopback by itself.
      assert.match(urls[name], /^http:\/\/[a-z0-9]{32}\.lambda-url\.[a-z0-9-]+\.localhost:\d+\/$/);
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (error) => errors.push(error.message));
        const loaded = await page.goto(urls[name]);
        assert.equal(loaded?.status(), 200);
        // The script changed the DOM once it ran (Express serves it as /app.js, Hono inline).
        await page.waitForSelector(`body[data-ready="${name}"]`, { timeout: 10_000 });
        assert.match((await page.textContent('#title')) ?? '', /changed by script$/);

        await page.fill('#name', 'Grace <Hopper>');
        const posted = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/submit');
        await Promise.all([page.waitForURL(/\/done\?/), page.click('#send')]);
        const post = await posted;
        assert.equal(post.status(), 303);
        assert.equal(post.request().postData(), 'name=Grace+%3CHopper%3E');
        const url = new URL(page.url());
        assert.equal(url.origin, new URL(urls[name]).origin);
        assert.equal(url.pathname, '/done');
        assert.equal(url.searchParams.get('name'), 'Grace <Hopper>');
        assert.equal(await page.textContent('#greeting'), 'Thanks, Grace <Hopper>!');

        // Cookies the app sets come back on the next request, as the browser keeps them.
        await page.goto(`${urls[name]}login`);
        const cookies = await context.cookies(urls[name]);
        assert.deepEqual(cookies.map((c) => [c.name, c.value, c.httpOnly]).sort(), [
          ['session', 'abc%20123', true],
          ['theme', 'dark', false],
        ]);
        const echo = await page.goto(`${urls[name]}echo?from=browser`);
        assert.ok(echo !== null);
        assert.deepEqual(((await echo.json()) as { cookies: unknown }).cookies, { session: 'abc 123', theme: 'dark' });

        // A binary answer reaches page script byte for byte.
        const digest = await page.evaluate(async () => {
          const bytes = await (await fetch('/image.png')).arrayBuffer();
          return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
        });
        assert.equal(
          digest,
          createHash('sha256')
            .update(await webAppImage())
            .digest('hex'),
        );
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }
});
