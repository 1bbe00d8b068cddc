import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CreateFunctionCommand,
  InvokeCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { waitFor } from '../support/async.js';
import { signedFetch } from '../support/signed-fetch.js';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { ROLE, startPlatform, type TestPlatform } from '../support/platform.js';
import { nodeZip } from '../support/zip.js';

/** Screenshots of each page, for a person to look at: `test-artifacts/console/` at the repository root. */
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/console/', import.meta.url));

const HANDLER = `exports.handler = async (e) => {
  console.log('greeting', e.name);
  return { greeting: 'hello ' + e.name };
};`;

const DOUBLER = `exports.handler = async (e) => {
  if (e.fail) throw new Error('asked to fail');
  console.log('doubled', e.n * 2);
  return e.n * 2;
};`;

describe('the web console in a real browser (Chromium): sign in, browse a function, invoke it from the Test tab, sign out', () => {
  let t: TestPlatform;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startPlatform();
    const ZipFile = await nodeZip(HANDLER);
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'greeter',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile },
        Environment: { Variables: { GREETING_SECRET: 'shh-its-a-secret' } },
      }),
    );
    await t.client.send(new InvokeCommand({ FunctionName: 'greeter', Payload: Buffer.from('{"name":"first"}') }));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('refuses a wrong key, then signs in with the root key and lists the functions with their last day', async () => {
    await page.goto(`${t.platform.url}/console`);
    await page.getByLabel('Access key ID').fill(t.platform.rootKey.accessKeyId);
    await page.getByLabel('Secret access key').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    await shot('sign-in');
    await page.getByLabel('Secret access key').fill(t.platform.rootKey.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Functions' }).waitFor();
    const row = page.getByRole('row', { name: /greeter/ });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    assert.equal(cells[0], 'nodejs22.x');
    assert.notEqual(cells[1], '—', 'its last invoke is shown');
    assert.deepEqual(cells.slice(2, 4), ['1', '0'], 'one invocation, no errors');
    assert.match(cells[4]!, /^\$0\.0000\d{4}$/, 'a cost in millionths of a dollar, not rounded to zero');
    await shot('functions');
  });

  it("shows a function's configuration, its environment values hidden until asked for", async () => {
    await page.getByRole('link', { name: 'greeter' }).click();
    await page.getByRole('heading', { name: 'Configuration' }).waitFor();
    assert.match(await page.locator('dl.facts').first().innerText(), /Handler\s+index\.handler/);
    assert.equal(await page.getByText('shh-its-a-secret').count(), 0, 'hidden at first');
    await page.getByRole('button', { name: 'Show GREETING_SECRET' }).click();
    await page.getByText('shh-its-a-secret').waitFor();
    await shot('function-configuration');
    // And on a phone's screen: nothing wider than it but the tables, which scroll on their own.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
    await shot('function-configuration-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('invokes the function from the Test tab and shows its answer and log side by side', async () => {
    await page.getByRole('link', { name: 'Test' }).click();
    await page.getByLabel('Event (JSON)').fill('{"name":"console"}');
    await page.getByRole('button', { name: 'Invoke' }).click();
    const response = page.getByTestId('response');
    await response.waitFor();
    assert.deepEqual(JSON.parse(await response.innerText()), { greeting: 'hello console' });
    const log = await page.getByTestId('log').innerText();
    assert.match(log, /START RequestId: /);
    assert.match(log, /greeting console/);
    assert.match(log, /REPORT RequestId: /);
    await page.getByLabel('Save as').fill('console event');
    await page.getByRole('button', { name: 'Save event' }).click();
    assert.deepEqual(await page.getByLabel('Saved events').locator('option').allTextContents(), ['Choose…', 'console event']);
    await shot('function-test');
  });

  it('deploys a function from a .zip with the Create function form (its default role made on the way), then invokes it from the Test tab', async () => {
    await page.goto(`${t.platform.url}/console#/`);
    await page.getByRole('link', { name: 'Create function' }).click();
    await page.getByLabel('Function name').fill('uploaded');
    await page.getByLabel('Runtime').selectOption('nodejs22.x');
    await page.getByLabel('Code (.zip file)').setInputFiles({ name: 'code.zip', mimeType: 'application/zip', buffer: await nodeZip(DOUBLER) });
    await shot('create-function');
    await page.getByRole('button', { name: 'Create function' }).click();
    await page.getByRole('heading', { name: 'Test event' }).waitFor();
    const created = (await (await signedFetch(t.platform, 'GET', '/2015-03-31/functions/uploaded')).json()) as { Configuration: { Role: string } };
    assert.equal(created.Configuration.Role, 'arn:aws:iam::000000000000:role/selfless', 'the default role, made when the form named none');
    for (const event of ['{"n":2}', '{"fail":true}']) {
      await page.getByLabel('Event (JSON)').fill(event);
      await page.getByRole('button', { name: 'Invoke' }).click();
      await page
        .getByTestId('response')
        .filter({ hasText: event.includes('fail') ? 'asked to fail' : '4' })
        .waitFor();
    }
  });

  it('charts the invocations, errors, durations and cost in the Monitor tab, and shows the live log with a filter', async () => {
    await page.getByRole('link', { name: 'Monitor' }).click();
    const summary = (chart: string) => page.locator(`figure[data-chart="${chart}"] [data-testid="summary"]`).innerText();
    // The figures are read when the tab opens: refreshed until both invocations are in.
    await waitFor('both invocations in the chart', async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator('figure[data-chart="invocations"]').waitFor();
      return (await summary('invocations')) === 'total 2' ? true : undefined;
    });
    assert.equal(await summary('errors'), 'total 1');
    assert.equal(await summary('throttles'), 'total 0');
    assert.equal(await summary('cold-starts'), 'total 1', 'the first invocation started an environment, the second found it warm');
    assert.equal(await summary('concurrency'), 'highest 1');
    assert.match(await summary('duration'), /^highest \d+(\.\d+)? ms$/);
    assert.match(await summary('cost'), /^total \$0\.0000\d{4}$/);
    // The bar of the current minute, and the chart's data table, both read 2.
    const invocations = page.locator('figure[data-chart="invocations"]');
    assert.match((await invocations.locator('rect title').last().textContent()) ?? '', /Invocations 2$/);
    await invocations.getByText('Data').click();
    assert.deepEqual(await invocations.locator('tbody tr td').allTextContents(), ['2']);
    assert.match((await invocations.locator('svg').getAttribute('aria-label')) ?? '', /^Invocations, last hour: total 2$/);

    const live = page.getByTestId('live-log');
    await live.filter({ hasText: 'doubled 4' }).waitFor();
    assert.match(await live.innerText(), /asked to fail/);
    await shot('function-monitor');
    await page.getByLabel('Filter pattern').fill('doubled');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await waitFor('the filtered log', async () => {
      const text = await live.innerText();
      return text.includes('doubled 4') && !text.includes('asked to fail') ? true : undefined;
    });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `the Monitor tab is ${overflow}px wider than a phone`);
    await shot('function-monitor-phone');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('shows requests, GB-seconds and cost per function and UTC day on the Usage page', async () => {
    await page.getByRole('link', { name: 'Usage' }).click();
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    const today = new Date().toISOString().slice(0, 10);
    const row = page.getByRole('row', { name: /uploaded/ });
    const cells = await row.getByRole('cell').allTextContents();
    assert.equal(cells[0], today);
    assert.deepEqual(cells.slice(1, 3), ['2', '1'], 'two requests, one error');
    assert.match(cells[3]!, /^0\.\d{6}$/);
    assert.match(cells[4]!, /^\$0\.0000\d{4}$/);
    // greeter ran twice and uploaded twice: four in all.
    const total = await page.getByRole('row', { name: /Total/ }).getByRole('cell').allTextContents();
    assert.equal(total[0], '4');
    await shot('usage');
  });

  it('shows a failed asynchronous event with its cause in the Async tab, and redrives it', async () => {
    // Fails while FAIL is set; no retries, so its event fails for good at once.
    const ZipFile = await nodeZip('exports.handler = async () => { if (process.env.FAIL) throw new Error("down for now"); return "up"; };');
    await t.client.send(
      new CreateFunctionCommand({
        FunctionName: 'flaky',
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        Role: ROLE,
        Code: { ZipFile },
        Environment: { Variables: { FAIL: '1' } },
      }),
    );
    await t.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'flaky', MaximumRetryAttempts: 0 }));
    const queued = await t.client.send(new InvokeCommand({ FunctionName: 'flaky', InvocationType: 'Event', Payload: Buffer.from('{}') }));
    const requestId = queued.$metadata.requestId!;
    const failedEvents = async () =>
      ((await (await signedFetch(t.platform, 'GET', '/selfless/v1/functions/flaky/failed-events')).json()) as { events: Array<{ requestId: string }> }).events;
    await waitFor('the failed event', async () => ((await failedEvents()).length === 1 ? true : undefined));
    await t.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'flaky', Environment: { Variables: {} } }));
    await waitUntilFunctionUpdatedV2({ client: t.client, maxWaitTime: 60 }, { FunctionName: 'flaky' });

    await page.goto(`${t.platform.url}/console#/functions/flaky/async`);
    const row = page.getByRole('row', { name: new RegExp(requestId) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    assert.equal(cells[1], 'RetriesExhausted');
    assert.equal(cells[2], '1');
    assert.equal(cells[3], 'Error: down for now');
    await shot('function-async');
    await row.getByRole('button', { name: /^Redrive/ }).click();
    await page.getByRole('status').filter({ hasText: '1 event sent back to the queue.' }).waitFor();
    // Sent again, it now succeeds: the store holds no failed event any more.
    await waitFor('the redriven event to succeed', async () => ((await failedEvents()).length === 0 ? true : undefined));
  });

  it('signs out: the page asks for a key again and the session no longer answers', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to selfless' }).waitFor();
    const status = await page.evaluate(async () => (await fetch('/console/aws/2015-03-31/functions')).status);
    assert.equal(status, 403);
  });

  it('answers no API call without a session and its CSRF token', async () => {
    const unsigned = await fetch(`${t.platform.url}/console/aws/2015-03-31/functions`);
    assert.equal(unsigned.status, 403);
    const signIn = await fetch(`${t.platform.url}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessKeyId: t.platform.rootKey.accessKeyId, secretAccessKey: t.platform.rootKey.secretAccessKey }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    assert.match(signIn.headers.get('set-cookie')!, /HttpOnly; SameSite=Strict; Path=\/console/);
    const { csrfToken } = (await signIn.json()) as { csrfToken: string };
    const noToken = await fetch(`${t.platform.url}/console/aws/2015-03-31/functions`, { headers: { cookie } });
    assert.equal(noToken.status, 403, 'a cookie alone (what a cross-site form would carry) is not enough');
    const withToken = await fetch(`${t.platform.url}/console/aws/2015-03-31/functions`, { headers: { cookie, 'x-selfless-csrf': csrfToken } });
    assert.equal(withToken.status, 200);
    const page = await fetch(`${t.platform.url}/console`);
    assert.match(page.headers.get('content-security-policy')!, /default-src 'self'; script-src 'self' 'sha256-/);
  });
});
