import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startPlatform, type TestPlatform } from './support/platform.js';
import { assertWebAppsInstalled, deployWebApps, WEB_APPS, webAppImage, type WebAppName } from './support/web-apps.js';

const run = promisify(execFile);
const CURL = '/usr/bin/curl';

interface Answer {
  status: number;
  /** Header names lowercased, each with every value it came with, in order. */
  headers: Record<string, string[]>;
  body: Buffer;
  /** Every status curl saw, redirects first (with -L). */
  statuses: number[];
}

/** Runs curl as a user would (`-i`, so the answer's head comes on stdout), and splits each head from the body. */
async function curl(...args: string[]): Promise<Answer> {
  const { stdout } = await run(CURL, ['-sS', '-i', ...args], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  let rest = stdout;
  const statuses: number[] = [];
  let headers: Record<string, string[]> = {};
  // With -L, curl prints the head of every hop; an interim 100 Continue has a head of its own too.
  while (rest.subarray(0, 5).toString('latin1') === 'HTTP/') {
    const end = rest.indexOf('\r\n\r\n');
    assert.ok(end > 0, 'curl printed a head without its end');
    const [statusLine = '', ...lines] = rest.subarray(0, end).toString('latin1').split('\r\n');
    rest = rest.subarray(end + 4);
    const status = Number(statusLine.split(' ')[1]);
    if (status === 100) continue;
    statuses.push(status);
    headers = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      (headers[line.slice(0, colon).trim().toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
    }
  }
  return { status: statuses.at(-1) ?? 0, headers, body: rest, statuses };
}

const header = (answer: Answer, name: string) => answer.headers[name]?.join(', ');
const json = (answer: Answer) => JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;

describe('real web apps from npm (Express 5 with serverless-http, Hono with hono/aws-lambda), unmodified, through function URLs and curl', () => {
  let t: TestPlatform;
  let urls: Record<WebAppName, string>;
  let scratch: string;

  before(async () => {
    assertWebAppsInstalled();
    assert.ok(existsSync(CURL), `${CURL} is missing: install curl (apt-get install curl)`);
    scratch = await mkdtemp(join(tmpdir(), 'selfless-web-apps-'));
    t = await startPlatform();
    urls = await deployWebApps(t);
  });
  after(async () => {
    await t?.stop();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  for (const { name } of WEB_APPS) {
    describe(name, () => {
      it('serves the HTML page with its form and script, and the script itself', async () => {
        const page = await curl(urls[name]);
        assert.equal(page.status, 200);
        assert.match(header(page, 'content-type') ?? '', /^text\/html/);
        const html = page.body.toString('utf8');
        assert.match(html, /<form method="post" action="\/submit">/);
        assert.match(html, /<script/);
        if (name === 'express') {
          const script = await curl(`${urls[name]}app.js`);
          assert.equal(script.status, 200);
          assert.match(header(script, 'content-type') ?? '', /^text\/javascript/);
          assert.match(script.body.toString('utf8'), /changed by script/);
        }
      });

      it('sees the method, path and query string the client sent', async () => {
        const got = await curl(`${urls[name]}echo?a=1&word=two%20words&empty=&w=caf%C3%A9&tag=x&tag=y%2Cz`);
        assert.equal(got.status, 200);
        assert.match(header(got, 'content-type') ?? '', /^application\/json/);
        assert.deepEqual(json(got), {
          framework: name,
          method: 'GET',
          path: '/echo',
          query: { a: '1', word: 'two words', empty: '', w: 'café' },
          // A repeated key keeps each value (and a comma inside one) as the client sent it.
          tags: ['x', 'y,z'],
          cookies: {},
        });

        const deleted = await curl('-X', 'DELETE', `${urls[name]}echo?id=7`);
        assert.equal(deleted.status, 200);
        assert.equal(json(deleted).method, 'DELETE');
        assert.deepEqual(json(deleted).query, { id: '7' });

        const put = await curl('-X', 'PUT', '-H', 'content-type: application/json', '--data-binary', '{"n":1,"s":"é"}', `${urls[name]}echo`);
        assert.equal(put.status, 200);
        assert.deepEqual(json(put), { framework: name, method: 'PUT', body: { n: 1, s: 'é' } });

        const head = await curl('-I', `${urls[name]}echo`);
        assert.equal(head.status, 200);
        assert.match(header(head, 'content-type') ?? '', /^application\/json/);
        assert.equal(head.body.length, 0);
      });

      it('sets several cookies in one answer, and reads the cookies the client sends back', async () => {
        const jar = join(scratch, `${name}.cookies`);
        const login = await curl('-c', jar, `${urls[name]}login`);
        assert.equal(login.status, 200);
        const cookies = login.headers['set-cookie'] ?? [];
        assert.equal(cookies.length, 2, `two Set-Cookie headers: ${JSON.stringify(login.headers)}`);
        assert.match(cookies[0] ?? '', /^session=abc%20123; .*HttpOnly/i);
        assert.match(cookies[1] ?? '', /^theme=dark; /);

        const back = await curl('-b', jar, `${urls[name]}echo`);
        assert.deepEqual(json(back).cookies, { session: 'abc 123', theme: 'dark' });
        const typed = await curl('-H', 'cookie: a=1; b=x%3Dy', `${urls[name]}echo`);
        assert.deepEqual(json(typed).cookies, { a: '1', b: 'x=y' });
      });

      it('posts the urlencoded form and answers 303 to /done, which curl -L follows as a GET', async () => {
        const posted = await curl('--data-urlencode', 'name=Ada & Co', `${urls[name]}submit`);
        assert.equal(posted.status, 303);
        assert.equal(header(posted, 'location'), '/done?name=Ada%20%26%20Co');

        const followed = await curl('-L', '--data-urlencode', 'name=Ada & Co', `${urls[name]}submit`);
        assert.deepEqual(followed.statuses, [303, 200]);
        assert.match(followed.body.toString('utf8'), /<p id="greeting">Thanks, Ada &#38; Co!<\/p>/);

        const moved = await curl(`${urls[name]}old`);
        assert.equal(moved.status, 301);
        assert.equal(header(moved, 'location'), '/echo?from=old');
        const landed = await curl('-L', `${urls[name]}old`);
        assert.deepEqual(landed.statuses, [301, 200]);
        assert.deepEqual(json(landed).query, { from: 'old' });
        assert.equal(json(landed).method, 'GET');
      });

      it('takes a binary upload byte for byte, and answers a binary download byte for byte', async () => {
        const upload = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(512 * 1024)]);
        const file = join(scratch, `${name}.upload`);
        await writeFile(file, upload);
        const uploaded = await curl('-H', 'content-type: application/octet-stream', '--data-binary', `@${file}`, `${urls[name]}upload`);
        assert.equal(uploaded.status, 200);
        assert.deepEqual(json(uploaded), { bytes: upload.length, sha256: createHash('sha256').update(upload).digest('hex') });

        const image = await curl(`${urls[name]}image.png`);
        assert.equal(image.status, 200);
        assert.equal(header(image, 'content-type'), 'image/png');
        assert.deepEqual(image.body, await webAppImage());
        // curl -o writes the same bytes to disk.
        const saved = join(scratch, `${name}.png`);
        await run(CURL, ['-sS', '-o', saved, `${urls[name]}image.png`]);
        assert.deepEqual(await readFile(saved), await webAppImage());
      });

      it("answers the app's own 404 for a path it has no route for", async () => {
        const missing = await curl(`${urls[name]}no/such/page?x=1`);
        assert.equal(missing.status, 404);
        assert.equal(missing.body.toString('utf8'), 'no route for GET /no/such/page');
        const wrongMethod = await curl('-X', 'PATCH', `${urls[name]}image.png`);
        assert.equal(wrongMethod.status, 404);
      });
    });
  }
});
