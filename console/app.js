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
    const fields = await response.json().catch(() => ({}));
    const type = response.headers.get('x-amzn-errortype') ?? fields.__type ?? `HTTP ${response.status}`;
    const error = new Error(`${type.split(':')[0]}: ${fields.message ?? fields.Message ?? response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return response;
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
  return html`<h2>Functions</h2>
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
  ['async', 'Async'],
];
const VIEWS = { configuration: Configuration, test: TestTab, async: AsyncTab };

function FunctionPage({ name, tab }) {
  const current = TABS.some(([id]) => id === tab) ? tab : 'configuration';
  return html`<p><a href="#/">← Functions</a></p>
    <h2>${name}</h2>
    <nav class="views" aria-label="Function views">
      ${TABS.map(([id, label]) => html`<a href=${`#/functions/${enc(name)}/${id}`} aria-current=${id === current ? 'page' : undefined}>${label}</a>`)}
    </nav>
    <section aria-label=${TABS.find(([id]) => id === current)[1]}>${h(VIEWS[current], { name })}</section>`;
}

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
      <span>${session.principalArn} <button type="button" onClick=${signOut}>Sign out</button></span>
    </header>
    <main>${match ? html`<${FunctionPage} name=${decodeURIComponent(match[1])} tab=${match[2]} />` : html`<${FunctionsList} />`}</main>`;
}

render(html`<${App} />`, document.getElementById('app'));
