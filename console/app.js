// The selfless web console: Preact components written with htm (no build step), calling the platform's
// own APIs through /console/aws/<path>, authenticated by the session cookie and the CSRF token below.
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);
let csrfToken = '';

/** An API call as the signed-in key; rejects with the AWS error's type and message. */
async function api(method, path, { service = 'lambda', body, headers = {} } = {}) {
  const response = await fetch(`/console/aws${path}`, {
    method,
    headers: {
      'x-selfless-csrf': csrfToken,
      'x-selfless-service': service,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  if (!response.ok) {
    const { type, message } = await errorOf(response);
    const code = (type || `HTTP ${response.status}`).split(':')[0];
    const error = new Error(`${code}: ${message ?? response.statusText}`);
    error.status = response.status;
    error.code = code;
    throw error;
  }
  return response;
}

/** An error answer's type and message: JSON (`__type`, `message`), or the Query services' XML (`<Code>`, `<Message>`). */
async function errorOf(response) {
  const body = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('xml')) {
    const field = xmlFields(body);
    return { type: field('Code'), message: field('Message') };
  }
  let fields = {};
  try {
    fields = JSON.parse(body);
  } catch {
    // no JSON body: the status says what went wrong
  }
  return { type: response.headers.get('x-amzn-errortype') ?? fields.__type, message: fields.message ?? fields.Message };
}

/** An XML document's fields by element name (the first of each). */
function xmlFields(text) {
  const xml = new DOMParser().parseFromString(text, 'application/xml');
  return (tag) => xml.getElementsByTagName(tag)[0]?.textContent ?? '';
}
const getJson = async (path, options) => (await api('GET', path, options)).json();
/** A lookup that may find nothing (404): null then. */
const maybe = (promise) => promise.catch((error) => (error.status === 404 ? null : Promise.reject(error)));

const enc = encodeURIComponent;
// A few invocations cost millionths of a dollar: whole cents would show them all as zero.
const usd = (cost) => `$${cost >= 1 ? cost.toFixed(2) : cost.toFixed(8)}`;
const when = (ms) => (ms ? new Date(ms).toLocaleString() : '—');

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

/** Runs `load` when its inputs change; the value, the error, and a way to load again. */
function useLoad(load, inputs) {
  const [state, setState] = useState({ value: undefined, error: undefined });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState({ value: undefined, error: undefined });
    load().then(
      (value) => live && setState({ value, error: undefined }),
      (error) => live && setState({ value: undefined, error }),
    );
    return () => (live = false);
  }, [...inputs, round]);
  return { ...state, reload: () => setRound(round + 1) };
}

const Failure = ({ error }) => html`<p class="error" role="alert">${error.message}</p>`;
const Loading = () => html`<p class="loading" aria-live="polite">Loading…</p>`;

function SignIn({ onSignedIn }) {
  const [error, setError] = useState('');
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const response = await fetch('/console/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accessKeyId: form.get('accessKeyId'), secretAccessKey: form.get('secretAccessKey') }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return setError(body.message ?? 'Sign-in failed.');
    onSignedIn(body);
  };
  return html`<form class="signin" onSubmit=${submit} aria-labelledby="signin-title">
    <h2 id="signin-title">Sign in to selfless</h2>
    <p class="muted">
      With an access key of this server: the root key it printed at first start, or an IAM user's. The key stays on the server; this browser keeps only a
      session.
    </p>
    <label for="accessKeyId">Access key ID</label>
    <input id="accessKeyId" name="accessKeyId" autocomplete="username" required />
    <label for="secretAccessKey">Secret access key</label>
    <input id="secretAccessKey" name="secretAccessKey" type="password" autocomplete="current-password" required />
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <button class="primary" type="submit">Sign in</button>
  </form>`;
}

function FunctionsList() {
  const { value, error } = useLoad(async () => {
    const [{ Functions }, usage] = await Promise.all([
      getJson('/2015-03-31/functions?MaxItems=50'),
      getJson(`/selfless/v1/usage?sinceMs=${Date.now() - 86_400_000}`),
    ]);
    const lastInvokes = await Promise.all(
      Functions.map((f) => getJson(`/selfless/v1/functions/${enc(f.FunctionName)}/history?limit=1`).then((h) => h.invocations[0]?.startMs)),
    );
    const byName = new Map(usage.functions.map((u) => [u.functionName, u]));
    return Functions.map((f, i) => ({ ...f, usage: byName.get(f.FunctionName), lastInvoke: lastInvokes[i] }));
  }, []);
  if (error) return html`<${Failure} error=${error} />`;
  if (!value) return html`<${Loading} />`;
  return html`<div class="row spread">
      <h2>Functions</h2>
      <a class="button primary" href="#/create">Create function</a>
    </div>
    ${
      value.length === 0
        ? html`<p>No functions yet. Deploy one with <code>selfless deploy</code> or <code>aws lambda create-function</code>.</p>`
        : html`<div class="table-wrap">
            <table>
              <caption class="muted">
                Invocations, errors and cost over the last 24 hours
              </caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Runtime</th>
                  <th scope="col">Last invoke</th>
                  <th scope="col" class="num">Invocations</th>
                  <th scope="col" class="num">Errors</th>
                  <th scope="col" class="num">Cost</th>
                </tr>
              </thead>
              <tbody>
                ${value.map(
                  (f) =>
                    html`<tr>
                      <th scope="row"><a href=${`#/functions/${enc(f.FunctionName)}`}>${f.FunctionName}</a></th>
                      <td>${f.Runtime}</td>
                      <td>${when(f.lastInvoke)}</td>
                      <td class="num">${f.usage?.requests ?? 0}</td>
                      <td class="num">${f.usage?.errors ?? 0}</td>
                      <td class="num">${usd(f.usage?.cost ?? 0)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }`;
}

/** Requests, GB-seconds and cost per function and per UTC day, over the last 30 days (as `selfless usage --by-day`). */
function Usage() {
  const { value, error } = useLoad(() => getJson(`/selfless/v1/usage?byDay=true&sinceMs=${Date.now() - 30 * 86_400_000}`), []);
  if (error) return html`<${Failure} error=${error} />`;
  if (!value) return html`<${Loading} />`;
  const rows = [...value.functions].sort((a, b) => (a.day === b.day ? (a.functionName < b.functionName ? -1 : 1) : a.day < b.day ? 1 : -1));
  const total = rows.reduce((t, r) => ({ requests: t.requests + r.requests, gbSeconds: t.gbSeconds + r.gbSeconds, cost: t.cost + r.cost }), {
    requests: 0,
    gbSeconds: 0,
    cost: 0,
  });
  return html`<h2>Usage</h2>
    <p class="muted">
      What ran over the last 30 days, per function and UTC day, at the server's prices (AWS's public ones unless configured). An idle server adds nothing.
    </p>
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Function</th>
            <th scope="col" class="num">Requests</th>
            <th scope="col" class="num">Errors</th>
            <th scope="col" class="num">GB-seconds</th>
            <th scope="col" class="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (r) =>
              html`<tr>
                <td>${r.day}</td>
                <th scope="row"><a href=${`#/functions/${enc(r.functionName)}/monitor`}>${r.functionName}</a></th>
                <td class="num">${r.requests}</td>
                <td class="num">${r.errors}</td>
                <td class="num">${r.gbSeconds.toFixed(6)}</td>
                <td class="num">${usd(r.cost)}</td>
              </tr>`,
          )}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colspan="2">Total</th>
            <td class="num">${total.requests}</td>
            <td></td>
            <td class="num">${total.gbSeconds.toFixed(6)}</td>
            <td class="num">${usd(total.cost)}</td>
          </tr>
        </tfoot>
      </table>
    </div>`;
}

/** An IAM call (the Query protocol: a form in, XML out), through the console's route; rejects with IAM's error. */
async function iam(params) {
  const response = await api('POST', '/', {
    service: 'iam',
    body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  return xmlFields(await response.text());
}

const DEFAULT_ROLE = 'selfless';
const BASIC_EXECUTION_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** The role `selfless deploy` gives a function by default: made on first use, trusting Lambda, allowed to write logs. */
async function defaultRoleArn() {
  try {
    return (await iam({ Action: 'GetRole', RoleName: DEFAULT_ROLE }))('Arn');
  } catch (error) {
    if (error.code !== 'NoSuchEntity') throw error;
  }
  const arn = (await iam({ Action: 'CreateRole', RoleName: DEFAULT_ROLE, AssumeRolePolicyDocument: LAMBDA_TRUST }))('Arn');
  await iam({ Action: 'AttachRolePolicy', RoleName: DEFAULT_ROLE, PolicyArn: BASIC_EXECUTION_POLICY });
  return arn;
}

const RUNTIME_CHOICES = ['nodejs24.x', 'nodejs22.x', 'python3.13', 'python3.12', 'python3.11', 'provided.al2023'];

function base64Of(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** CreateFunction from a .zip the user picks, as the AWS console's "Upload from .zip file". */
function CreateFunction() {
  const [error, setError] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(undefined);
    try {
      const file = form.get('code');
      if (!(file instanceof File) || file.size === 0) throw new Error('Choose the .zip file with the function code.');
      const name = String(form.get('name'));
      const role = String(form.get('role')).trim() || (await defaultRoleArn());
      await api('POST', '/2015-03-31/functions', {
        body: {
          FunctionName: name,
          Runtime: form.get('runtime'),
          Handler: form.get('handler'),
          Role: role,
          MemorySize: Number(form.get('memory')),
          Timeout: Number(form.get('timeout')),
          Code: { ZipFile: base64Of(await file.arrayBuffer()) },
        },
      });
      location.hash = `#/functions/${enc(name)}/test`;
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return html`<p><a href="#/">← Functions</a></p>
    <form class="create" onSubmit=${submit} aria-labelledby="create-title">
      <h2 id="create-title">Create function</h2>
      <label for="fn-name">Function name</label>
      <input id="fn-name" name="name" required maxlength="64" pattern="[A-Za-z0-9_-]+" autocomplete="off" />
      <label for="fn-runtime">Runtime</label>
      <select id="fn-runtime" name="runtime">
        ${RUNTIME_CHOICES.map((r) => html`<option value=${r}>${r}</option>`)}
      </select>
      <label for="fn-handler">Handler</label>
      <input id="fn-handler" name="handler" required value="index.handler" />
      <div class="row">
        <div><label for="fn-memory">Memory (MB)</label><input id="fn-memory" name="memory" type="number" min="128" max="10240" value="128" required /></div>
        <div><label for="fn-timeout">Timeout (seconds)</label><input id="fn-timeout" name="timeout" type="number" min="1" max="900" value="3" required /></div>
      </div>
      <label for="fn-role">Execution role ARN</label>
      <input id="fn-role" name="role" aria-describedby="fn-role-hint" autocomplete="off" />
      <p class="muted hint" id="fn-role-hint">Left empty: the role <code>${DEFAULT_ROLE}</code>, created with AWSLambdaBasicExecutionRole if missing.</p>
      <label for="fn-code">Code (.zip file)</label>
      <input id="fn-code" name="code" type="file" accept=".zip,application/zip" required />
      ${error && html`<${Failure} error=${error} />`}
      <div class="row"><button class="primary" type="submit" disabled=${busy}>${busy ? 'Creating…' : 'Create function'}</button></div>
    </form>`;
}

function Variables({ variables }) {
  const [shown, setShown] = useState(new Set());
  const names = Object.keys(variables ?? {});
  if (names.length === 0) return html`<p class="muted">None.</p>`;
  const toggle = (name) => {
    const next = new Set(shown);
    next.has(name) ? next.delete(name) : next.add(name);
    setShown(next);
  };
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        ${names.map(
          (name) =>
            html`<tr>
              <th scope="row"><code>${name}</code></th>
              <td>${shown.has(name) ? html`<code>${variables[name]}</code>` : html`<span aria-label="hidden value">••••••</span>`}</td>
              <td>
                <button type="button" aria-pressed=${shown.has(name)} onClick=${() => toggle(name)}>
                  ${shown.has(name) ? 'Hide' : 'Show'} <span class="muted">${name}</span>
                </button>
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function Configuration({ name }) {
  const { value, error } = useLoad(
    () =>
      Promise.all([
        getJson(`/2015-03-31/functions/${enc(name)}`),
        getJson(`/2015-03-31/functions/${enc(name)}/versions`),
        getJson(`/2015-03-31/functions/${enc(name)}/aliases`),
        maybe(getJson(`/2019-09-25/functions/${enc(name)}/event-invoke-config`)),
        getJson(`/2015-03-31/event-source-mappings?FunctionName=${enc(name)}`),
        getJson(`/2021-10-31/functions/${enc(name)}/urls`),
      ]),
    [name],
  );
  if (error) return html`<${Failure} error=${error} />`;
  if (!value) return html`<${Loading} />`;
  const [fn, versions, aliases, eventInvoke, mappings, urls] = value;
  const c = fn.Configuration;
  return html`<h3>Configuration</h3>
    <dl class="facts">
      <dt>ARN</dt>
      <dd><code>${c.FunctionArn}</code></dd>
      <dt>Runtime</dt>
      <dd>${c.Runtime}, ${c.Architectures.join(', ')}</dd>
      <dt>Handler</dt>
      <dd><code>${c.Handler}</code></dd>
      <dt>Memory</dt>
      <dd>${c.MemorySize} MB</dd>
      <dt>Timeout</dt>
      <dd>${c.Timeout} s</dd>
      <dt>Ephemeral storage</dt>
      <dd>${c.EphemeralStorage.Size} MB</dd>
      <dt>Role</dt>
      <dd><code>${c.Role}</code></dd>
      <dt>Logging</dt>
      <dd>${c.LoggingConfig.LogFormat} to <code>${c.LoggingConfig.LogGroup}</code></dd>
      <dt>Reserved concurrency</dt>
      <dd>${fn.Concurrency?.ReservedConcurrentExecutions ?? 'unreserved'}</dd>
      <dt>Last modified</dt>
      <dd>${c.LastModified}</dd>
    </dl>
    <h3>Environment variables</h3>
    <${Variables} variables=${c.Environment?.Variables} />
    <h3>Versions</h3>
    <p>${versions.Versions.map((v) => v.Version).join(', ')}</p>
    <h3>Aliases</h3>
    ${
      aliases.Aliases.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<ul>
            ${aliases.Aliases.map(
              (a) =>
                html`<li>
                  <strong>${a.Name}</strong> →
                  ${a.FunctionVersion}${Object.entries(a.RoutingConfig?.AdditionalVersionWeights ?? {}).map(
                    ([v, w]) => html`, ${Math.round(w * 100)} % to ${v}`,
                  )}
                </li>`,
            )}
          </ul>`
    }
    <h3>Asynchronous invocation</h3>
    ${
      eventInvoke
        ? html`<p>Retries: ${eventInvoke.MaximumRetryAttempts ?? 2}; maximum event age: ${eventInvoke.MaximumEventAgeInSeconds ?? 21600} s</p>`
        : html`<p class="muted">Lambda's defaults: 2 retries, events kept 6 hours.</p>`
    }
    <h3>Event source mappings</h3>
    ${
      mappings.EventSourceMappings.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<ul>
            ${mappings.EventSourceMappings.map((m) => html`<li><code>${m.EventSourceArn}</code>: ${m.State}, ${m.LastProcessingResult}</li>`)}
          </ul>`
    }
    <h3>Function URLs</h3>
    ${
      urls.FunctionUrlConfigs.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<ul>
            ${urls.FunctionUrlConfigs.map((u) => html`<li><a href=${u.FunctionUrl}>${u.FunctionUrl}</a> (${u.AuthType})</li>`)}
          </ul>`
    }
    <h3>Tags</h3>
    ${
      Object.keys(fn.Tags ?? {}).length === 0
        ? html`<p class="muted">None.</p>`
        : html`<dl class="facts">
            ${Object.entries(fn.Tags).map(
              ([k, v]) =>
                html`<dt>${k}</dt>
                  <dd>${v}</dd>`,
            )}
          </dl>`
    }`;
}

/** Saved test events, per function, in this browser. */
const savedKey = (name) => `selfless-console:test-events:${name}`;
const loadSaved = (name) => JSON.parse(localStorage.getItem(savedKey(name)) ?? '{}');

function TestTab({ name }) {
  const [saved, setSaved] = useState(() => loadSaved(name));
  const [event, setEvent] = useState('{\n  "key": "value"\n}');
  const [eventName, setEventName] = useState('');
  const [result, setResult] = useState(undefined);
  const [busy, setBusy] = useState(false);
  const invoke = async () => {
    setBusy(true);
    try {
      const response = await api('POST', `/2015-03-31/functions/${enc(name)}/invocations`, { body: event, headers: { 'x-amz-log-type': 'Tail' } });
      const payload = await response.text();
      const log = response.headers.get('x-amz-log-result');
      setResult({
        requestId: response.headers.get('x-amzn-requestid'),
        functionError: response.headers.get('x-amz-function-error'),
        version: response.headers.get('x-amz-executed-version'),
        payload: pretty(payload),
        log: log ? new TextDecoder().decode(Uint8Array.from(atob(log), (c) => c.charCodeAt(0))) : '',
      });
    } catch (error) {
      setResult({ error });
    } finally {
      setBusy(false);
    }
  };
  const save = () => {
    if (!eventName) return;
    const next = { ...saved, [eventName]: event };
    localStorage.setItem(savedKey(name), JSON.stringify(next));
    setSaved(next);
  };
  return html`<div class="split">
    <section aria-labelledby="event-title">
      <h3 id="event-title">Test event</h3>
      <div class="row">
        <div>
          <label for="saved-event">Saved events</label>
          <select id="saved-event" onChange=${(e) => e.currentTarget.value && setEvent(saved[e.currentTarget.value])}>
            <option value="">Choose…</option>
            ${Object.keys(saved).map((n) => html`<option value=${n}>${n}</option>`)}
          </select>
        </div>
        <div><label for="event-name">Save as</label><input id="event-name" value=${eventName} onInput=${(e) => setEventName(e.currentTarget.value)} /></div>
        <button type="button" onClick=${save} disabled=${!eventName}>Save event</button>
      </div>
      <label for="event">Event (JSON)</label>
      <textarea id="event" spellcheck="false" value=${event} onInput=${(e) => setEvent(e.currentTarget.value)}></textarea>
      <div class="row"><button class="primary" type="button" onClick=${invoke} disabled=${busy}>${busy ? 'Invoking…' : 'Invoke'}</button></div>
    </section>
    <section aria-labelledby="result-title" aria-live="polite">
      <h3 id="result-title">Result</h3>
      ${
        result === undefined
          ? html`<p class="muted">Invoke to see the function's answer and its log.</p>`
          : result.error
            ? html`<${Failure} error=${result.error} />`
            : html`<p class=${result.functionError ? 'error' : 'ok'}>
                  ${result.functionError ? `Function error (${result.functionError})` : 'Succeeded'} on version ${result.version}; request id
                  <code>${result.requestId}</code>
                </p>
                <h4>Response</h4>
                <pre data-testid="response">${result.payload}</pre>
                <h4>Log</h4>
                <pre data-testid="log">${result.log}</pre>`
      }
    </section>
  </div>`;
}

function AsyncTab({ name }) {
  const [notice, setNotice] = useState('');
  const { value, error, reload } = useLoad(() => getJson(`/selfless/v1/functions/${enc(name)}/failed-events`), [name]);
  const redrive = async (body, what) => {
    try {
      const response = await api('POST', `/selfless/v1/functions/${enc(name)}/failed-events/redrive`, { body });
      const { redriven } = await response.json();
      setNotice(`${redriven.length} ${what} sent back to the queue.`);
      reload();
    } catch (failure) {
      setNotice(failure.message);
    }
  };
  if (error) return html`<${Failure} error=${error} />`;
  if (!value) return html`<${Loading} />`;
  return html`<h3>Queue</h3>
    <p>${value.queued} event(s) queued (waiting, retrying or running).</p>
    <h3>Failed events</h3>
    <p class="muted">Asynchronous events that failed for good with no on-failure destination. Redriving queues them again, with their retries anew.</p>
    ${notice && html`<p class="ok" role="status">${notice}</p>`}
    ${
      value.events.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<div class="row"><button type="button" onClick=${() => redrive({ all: true }, 'event(s)')}>Redrive all ${value.events.length}</button></div>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Request id</th>
                    <th scope="col">Failed</th>
                    <th scope="col">Cause</th>
                    <th scope="col" class="num">Attempts</th>
                    <th scope="col">Last error</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  ${value.events.map(
                    (e) =>
                      html`<tr>
                        <th scope="row"><code>${e.requestId}</code></th>
                        <td>${when(e.failedAt)}</td>
                        <td>${e.condition}</td>
                        <td class="num">${e.approximateInvokeCount}</td>
                        <td>${errorSummary(e.lastError)}</td>
                        <td>
                          <button type="button" onClick=${() => redrive({ requestIds: [e.requestId] }, 'event')}>
                            Redrive <span class="muted">${e.requestId.slice(0, 8)}</span>
                          </button>
                        </td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
    }`;
}

const RANGES = [
  ['1h', 'Last hour'],
  ['24h', 'Last 24 hours'],
  ['7d', 'Last 7 days'],
];
const clock = (ms, range) =>
  new Date(ms).toLocaleString(undefined, range === '7d' ? { weekday: 'short', hour: '2-digit', minute: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
const PERIOD_NAMES = { 60: 'minute', 900: '15 minutes', 3600: 'hour' };
const ms = (value) => (value === null || value === undefined ? '—' : value < 10 ? `${value.toFixed(2)} ms` : `${Math.round(value)} ms`);

/** What each chart shows: its series (key, label, how a value reads) and the figure its caption sums up. */
const CHARTS = [
  { id: 'invocations', title: 'Invocations', series: [['invocations', 'Invocations', String]], summary: 'sum' },
  { id: 'errors', title: 'Errors', series: [['errors', 'Errors', String]], summary: 'sum', bad: true },
  { id: 'throttles', title: 'Throttles', series: [['throttles', 'Throttles', String]], summary: 'sum', bad: true },
  {
    id: 'duration',
    title: 'Duration',
    series: [
      ['p99Ms', 'p99', ms],
      ['p50Ms', 'p50', ms],
    ],
    summary: 'max',
  },
  { id: 'cold-starts', title: 'Cold starts', series: [['coldStarts', 'Cold starts', String]], summary: 'sum' },
  { id: 'concurrency', title: 'Concurrent executions', series: [['concurrencyMax', 'Maximum', String]], summary: 'max' },
  { id: 'cost', title: 'Cost', series: [['cost', 'Cost', usd]], summary: 'sum' },
];

/**
 * A bar chart in SVG, one bar per period (the second series, when there is one, drawn in front of the
 * first): each bar titled with its time and value, the whole summed up in the caption and labelled for
 * screen readers, and the periods with data in a table below.
 */
function Chart({ chart, points, range }) {
  const [first, second] = chart.series;
  const values = (key) => points.map((p) => p[key] ?? 0);
  const top = Math.max(...values(first[0]), ...(second ? values(second[0]) : []), 0);
  const total = chart.summary === 'sum' ? values(first[0]).reduce((a, b) => a + b, 0) : top;
  const summary = `${chart.summary === 'sum' ? 'total' : 'highest'} ${first[2](total)}`;
  const width = 600;
  const height = 120;
  const step = width / points.length;
  const bar = (p, i, [key, label, format], cls) => {
    const value = p[key];
    if (!value) return null;
    const h = top === 0 ? 0 : Math.max(1, (value / top) * (height - 4));
    return html`<rect class=${cls} x=${i * step + step * 0.1} y=${height - h} width=${step * 0.8} height=${h}
      ><title>${clock(p.startMs, range)}: ${label} ${format(value)}</title></rect
    >`;
  };
  const withData = points.filter((p) => p[first[0]]);
  return html`<figure class="chart" data-chart=${chart.id}>
    <figcaption><strong>${chart.title}</strong> <span class="muted" data-testid="summary">${summary}</span></figcaption>
    <svg
      viewBox=${`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label=${`${chart.title}, ${RANGES.find(([id]) => id === range)[1].toLowerCase()}: ${summary}`}
    >
      <line class="axis" x1="0" y1=${height - 0.5} x2=${width} y2=${height - 0.5} />
      ${points.map((p, i) => bar(p, i, first, chart.bad ? 'bad' : 'one'))} ${second && points.map((p, i) => bar(p, i, second, 'two'))}
    </svg>
    <div class="axis-labels muted"><span>${clock(points[0].startMs, range)}</span><span>now</span></div>
    <details>
      <summary>Data <span class="muted">(${withData.length} period${withData.length === 1 ? '' : 's'} with data)</span></summary>
      <table>
        <thead>
          <tr>
            <th scope="col">Period</th>
            ${chart.series.map(([, label]) => html`<th scope="col" class="num">${label}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${withData.map(
            (p) =>
              html`<tr>
                <th scope="row">${clock(p.startMs, range)}</th>
                ${chart.series.map(([key, , format]) => html`<td class="num">${format(p[key] ?? 0)}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    </details>
  </figure>`;
}

/** Calls CloudWatch Logs' JSON API (through the console's route, as the signed-in key). */
async function logsApi(operation, body) {
  const response = await api('POST', '/', {
    service: 'logs',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${operation}` },
  });
  return response.json();
}

const LIVE_KEEP = 300;

/** The function's log group as it arrives (FilterLogEvents every 2 s), with a CloudWatch filter pattern. */
function LiveLog({ group }) {
  const [pattern, setPattern] = useState('');
  const [applied, setApplied] = useState('');
  const [events, setEvents] = useState([]);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    let live = true;
    let timer;
    let since = Date.now() - 3_600_000;
    const seen = new Set();
    setEvents([]);
    setError(undefined);
    const poll = async () => {
      try {
        const found = await logsApi('FilterLogEvents', { logGroupName: group, startTime: since, ...(applied ? { filterPattern: applied } : {}), limit: 1000 });
        if (!live) return;
        const fresh = found.events.filter((e) => !seen.has(e.eventId));
        for (const e of fresh) {
          seen.add(e.eventId);
          since = Math.max(since, e.timestamp);
        }
        if (fresh.length > 0) setEvents((old) => [...old, ...fresh].slice(-LIVE_KEEP));
        setError(undefined);
      } catch (failure) {
        if (live) setError(failure);
      }
      if (live) timer = setTimeout(poll, 2000);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [group, applied]);
  return html`<section aria-labelledby="live-log-title">
    <h3 id="live-log-title">Live log <span class="muted">${group}</span></h3>
    <form class="row" role="search" onSubmit=${(e) => (e.preventDefault(), setApplied(pattern.trim()))}>
      <div>
        <label for="log-filter">Filter pattern</label
        ><input id="log-filter" placeholder='ERROR, "a phrase", { $.level = "ERROR" }' value=${pattern} onInput=${(e) => setPattern(e.currentTarget.value)} />
      </div>
      <button type="submit">Filter</button>
      ${applied && html`<button type="button" onClick=${() => (setPattern(''), setApplied(''))}>Clear</button>`}
    </form>
    ${error && html`<${Failure} error=${error} />`}
    <pre class="live-log" data-testid="live-log" aria-live="polite">
${
        events.length === 0
          ? html`<span class="muted">${applied ? 'No event in the last hour matches the filter yet.' : 'No log events in the last hour yet.'}</span>`
          : events.map((e) => `${new Date(e.timestamp).toLocaleTimeString()} ${e.message.replace(/\n$/, '')}\n`)
      }</pre>
  </section>`;
}

function MonitorTab({ name }) {
  const [range, setRange] = useState('1h');
  const { value, error, reload } = useLoad(
    () => Promise.all([getJson(`/selfless/v1/functions/${enc(name)}/timeline?range=${range}`), getJson(`/2015-03-31/functions/${enc(name)}/configuration`)]),
    [name, range],
  );
  return html`<div class="row" role="group" aria-label="Time range">
      ${RANGES.map(([id, label]) => html`<button type="button" aria-pressed=${id === range} onClick=${() => setRange(id)}>${label}</button>`)}
      <button type="button" onClick=${reload}>Refresh</button>
    </div>
    ${
      error
        ? html`<${Failure} error=${error} />`
        : !value
          ? html`<${Loading} />`
          : html`<p class="muted">One bar per ${PERIOD_NAMES[value[0].periodSeconds] ?? `${value[0].periodSeconds} seconds`}.</p>
              <div class="charts">${CHARTS.map((chart) => html`<${Chart} chart=${chart} points=${value[0].points} range=${range} />`)}</div>
              <${LiveLog} group=${value[1].LoggingConfig.LogGroup} />`
    }`;
}

/** A function error's type and message, from its JSON; anything else as it is. */
function errorSummary(text) {
  if (!text) return '—';
  try {
    const error = JSON.parse(text);
    return error.errorType ? `${error.errorType}: ${error.errorMessage ?? ''}` : text;
  } catch {
    return text;
  }
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

const TABS = [
  ['configuration', 'Configuration'],
  ['test', 'Test'],
  ['monitor', 'Monitor'],
  ['async', 'Async'],
];
const VIEWS = { configuration: Configuration, test: TestTab, monitor: MonitorTab, async: AsyncTab };

function FunctionPage({ name, tab }) {
  const current = TABS.some(([id]) => id === tab) ? tab : 'configuration';
  return html`<p><a href="#/">← Functions</a></p>
    <h2>${name}</h2>
    <nav class="views" aria-label="Function views">
      ${TABS.map(([id, label]) => html`<a href=${`#/functions/${enc(name)}/${id}`} aria-current=${id === current ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <section aria-label=${TABS.find(([id]) => id === current)[1]}>${h(VIEWS[current], { name })}</section>`;
}

/** The console's pages besides a function's own. */
const PAGES = { '#/create': CreateFunction, '#/usage': Usage };

function App() {
  const [session, setSession] = useState(undefined);
  const hash = useHash();
  useEffect(() => {
    fetch('/console/session')
      .then((r) => r.json())
      .then((s) => {
        csrfToken = s.csrfToken ?? '';
        setSession(s);
      });
  }, []);
  if (session === undefined) return html`<${Loading} />`;
  if (!session.signedIn) {
    return html`<main><${SignIn} onSignedIn=${(s) => ((csrfToken = s.csrfToken), setSession(s))} /></main>`;
  }
  const signOut = async () => {
    await fetch('/console/session', { method: 'DELETE' });
    csrfToken = '';
    setSession({ signedIn: false });
  };
  const match = /^#\/functions\/([^/]+)(?:\/([a-z]+))?$/.exec(hash);
  return html`<header class="top">
      <h1><a href="#/">selfless console</a></h1>
      <nav aria-label="Console"><a href="#/">Functions</a> <a href="#/usage">Usage</a></nav>
      <span>${session.principalArn} <button type="button" onClick=${signOut}>Sign out</button></span>
    </header>
    <main>${match ? html`<${FunctionPage} name=${decodeURIComponent(match[1])} tab=${match[2]} />` : h(PAGES[hash] ?? FunctionsList, {})}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
