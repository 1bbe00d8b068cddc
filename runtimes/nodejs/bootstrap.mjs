// selfless Node.js runtime client: the process the platform starts for nodejs*.x functions.
//
// It behaves like AWS's Node.js runtime interface client (aws-lambda-nodejs-runtime-interface-client,
// the 3.x line that runs nodejs18.x-22.x): load the handler named by _HANDLER from LAMBDA_TASK_ROOT,
// then loop on the Runtime API (GET /next, run the handler, POST /response or /error).
// Plain JavaScript with no dependencies and no platform imports; runs on Node 20, 22 and 24.
//
// Environment: AWS_LAMBDA_RUNTIME_API (host:port, required), _HANDLER, LAMBDA_TASK_ROOT (default: cwd),
// AWS_LAMBDA_FUNCTION_NAME / _VERSION / _MEMORY_SIZE, AWS_LAMBDA_LOG_GROUP_NAME / _LOG_STREAM_NAME
// (copied into the context), AWS_LAMBDA_LOG_FORMAT (TEXT | JSON), AWS_LAMBDA_LOG_LEVEL,
// AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA.
//
// Exit codes: 129 after an uncaught exception (init error or during/between invocations), 128 after an
// unhandled promise rejection, 1 when the Runtime API is missing, unreachable or misbehaving, 13 (Node's
// own) when the handler module's top-level await never settles.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve as resolvePath, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format, types } from 'node:util';

const require = createRequire(import.meta.url);
// node:http through require: its ES-module facade also loads undici and http2, about 40 ms of every
// cold start on Node 22.
const { Agent, request: httpRequest } = require('node:http');
const net = require('node:net');
// The connection streamed answers go over (see RuntimeApiConnection for everything else).
const agent = new Agent({ keepAlive: true, maxSockets: 1, noDelay: true });

// ---------------------------------------------------------------------------------------------
// Runtime API client: one keep-alive connection, reused for every call, no timeouts.

const API = process.env.AWS_LAMBDA_RUNTIME_API;
if (!API) die('AWS_LAMBDA_RUNTIME_API is not set');
const apiMatch = /^\[?([^\]]*)\]?:(\d+)$/.exec(API);
const API_HOST = apiMatch ? apiMatch[1] : API;
const API_PORT = apiMatch ? Number(apiMatch[2]) : 80;
const PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';

function die(message) {
  process.stderr.write(`[selfless runtime] ${message}\n`);
  process.exit(1);
}

/**
 * The hot path's client: a plain HTTP/1.1 exchange over one keep-alive socket, one request at a time,
 * the request written in one piece. node:http's client costs this process more CPU per invocation than
 * the handler of a small function does (its agent, parser and streams); the wire is the same Runtime API.
 * Streamed answers keep node:http, on a connection of their own.
 */
class RuntimeApiConnection {
  #socket;
  #queue = [];
  #active;
  #received = [];
  #receivedBytes = 0;
  /** The head of the response being received, once it is complete. */
  #head;

  /** Resolves to { status, headers (lower-case names), body: Buffer }; rejects when the connection fails. */
  request(method, path, headers, body) {
    return new Promise((resolve, reject) => {
      this.#queue.push({ method, path, headers, body, resolve, reject });
      if (this.#active === undefined) this.#sendNext();
    });
  }

  #connect() {
    const socket = net.connect({ host: API_HOST, port: API_PORT, noDelay: true });
    socket.setKeepAlive(true);
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(socket, err));
    socket.on('close', () => this.#fail(socket, new Error('the Runtime API closed the connection')));
    this.#socket = socket;
    return socket;
  }

  #sendNext() {
    const req = this.#queue.shift();
    if (req === undefined) {
      // Idle, the connection must not keep the process alive: a handler's empty event loop is how an
      // invocation without a callback ends (beforeExit), as it is with node:http's agent.
      this.#socket?.unref();
      return;
    }
    this.#active = req;
    const socket = this.#socket ?? this.#connect();
    socket.ref();
    let head = `${req.method} ${req.path} HTTP/1.1\r\nHost: ${API}\r\n`;
    if (req.headers !== undefined) for (const name in req.headers) head += `${name}: ${req.headers[name]}\r\n`;
    if (req.body === undefined) {
      socket.write(`${head}\r\n`);
    } else if (typeof req.body === 'string') {
      socket.write(`${head}Content-Length: ${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`);
    } else {
      socket.cork();
      socket.write(`${head}Content-Length: ${req.body.length}\r\n\r\n`);
      socket.write(req.body);
      socket.uncork();
    }
  }

  #onData(chunk) {
    if (this.#active === undefined) return; // nothing was asked: the platform has no say here
    this.#received.push(chunk);
    this.#receivedBytes += chunk.length;
    if (this.#head === undefined) {
      // Heads are small: joined until one is complete; a large body is joined once, when all of it is here.
      const data = this.#received.length === 1 ? chunk : Buffer.concat(this.#received, this.#receivedBytes);
      this.#received = [data];
      this.#head = parseHead(data);
      if (this.#head === undefined) return;
    }
    const head = this.#head;
    const end = head.bodyStart + head.length;
    if (this.#receivedBytes < end) return;
    const data = this.#received.length === 1 ? this.#received[0] : Buffer.concat(this.#received, this.#receivedBytes);
    this.#received = [];
    this.#receivedBytes = 0;
    this.#head = undefined;
    const req = this.#active;
    this.#active = undefined;
    if (head.close) {
      this.#socket.removeAllListeners('close');
      this.#socket.destroy();
      this.#socket = undefined;
    }
    req.resolve({ status: head.status, headers: head.headers, body: data.subarray(head.bodyStart, end) });
    this.#sendNext();
  }

  #fail(socket, err) {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#received = [];
    this.#receivedBytes = 0;
    this.#head = undefined;
    const failed = [this.#active, ...this.#queue].filter((r) => r !== undefined);
    this.#active = undefined;
    this.#queue = [];
    for (const req of failed) req.reject(err);
  }
}

/**
 * A response's head at the start of `data`, or undefined while incomplete: status, lower-case headers,
 * where the body starts and its Content-Length (the platform sends one with every answer, as Lambda's
 * Runtime API does), and whether the server will close the connection.
 */
function parseHead(data) {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = data.toString('latin1', 0, end).split('\r\n');
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon > 0) headers[lines[i].slice(0, colon).toLowerCase()] = lines[i].slice(colon + 1).trim();
  }
  return {
    status: Number(lines[0].slice(9, 12)),
    headers,
    bodyStart: end + 4,
    length: Number(headers['content-length'] ?? 0),
    close: headers.connection?.toLowerCase() === 'close',
  };
}

const api = new RuntimeApiConnection();
const rapid = (method, path, headers, body) => api.request(method, path, headers, body);

// Pre-started by selfless ahead of any function (SELFLESS_PRESTARTED=1): wait for the function this
// runtime is given before anything reads its configuration. Everything above is loaded already, and
// the wait is on the connection /next will use, so the platform has checked who is at its other end.
if (process.env.SELFLESS_PRESTARTED === '1') await receiveAssignment();

async function receiveAssignment() {
  const res = await rapid('GET', `${PREFIX}/selfless/assignment`, undefined, undefined).catch((err) => giveUp(err.message));
  if (res.status !== 200) giveUp(`HTTP ${res.status}`);
  const { environment } = JSON.parse(res.body.toString('utf8'));
  delete process.env.SELFLESS_PRESTARTED;
  Object.assign(process.env, environment);
  process.chdir(environment.LAMBDA_TASK_ROOT);
  // NODE_PATH is read once at startup: read it again now that it names the function's folder.
  require('node:module')._initPaths?.();
}

function giveUp(why) {
  process.stderr.write(`selfless runtime: no assignment: ${why}\n`);
  process.exit(1);
}

const env = process.env;

// As a plain process (no sandbox, so no /node_modules holding the AWS SDK), import falls back to the
// SDK's folder for a package the function's own node_modules lack, as require() does by NODE_PATH.
if (env.SELFLESS_NODE_SDK) registerSdkFallback(pathToFileURL(join(env.SELFLESS_NODE_SDK, 'fallback.mjs')).href);

function registerSdkFallback(parentURL) {
  const nodeModule = require('node:module');
  // Bare specifiers only (`@aws-sdk/client-s3`), never paths or URLs; the function's own error wins.
  const notBare = /^(?:\.{0,2}\/|[a-zA-Z][a-zA-Z\d+.-]*:)/;
  if (typeof nodeModule.registerHooks === 'function') {
    // Node 22.15 and later: in-thread, synchronous hooks, no loader thread to start.
    nodeModule.registerHooks({
      resolve(specifier, context, next) {
        try {
          return next(specifier, context);
        } catch (error) {
          if (error?.code !== 'ERR_MODULE_NOT_FOUND' || notBare.test(specifier)) throw error;
          try {
            return next(specifier, { ...context, parentURL });
          } catch {
            throw error;
          }
        }
      },
    });
    return;
  }
  const hooks = `const notBare = new RegExp(${JSON.stringify(notBare.source)});
  export async function resolve(specifier, context, next) {
    try { return await next(specifier, context); } catch (error) {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || notBare.test(specifier)) throw error;
      try { return await next(specifier, { ...context, parentURL: ${JSON.stringify(parentURL)} }); } catch { throw error; }
    }
  }`;
  nodeModule.register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}

// ---------------------------------------------------------------------------------------------
// Errors (names as the RIC's Errors.js: `Runtime.<Class>`, set on the prototype so stacks show them)

class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class MalformedHandlerName extends Error {}
class UserCodeSyntaxError extends Error {}
class MalformedStreamingHandler extends Error {}
class InvalidStreamingOperation extends Error {}
class NodeJsExit extends Error {
  constructor() {
    super('The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes');
  }
}
class UnhandledPromiseRejection extends Error {
  constructor(reason, promise) {
    super(reason);
    this.reason = reason;
    this.promise = promise;
  }
}
for (const E of [ImportModuleError, HandlerNotFound, MalformedHandlerName, UserCodeSyntaxError, MalformedStreamingHandler, InvalidStreamingOperation, NodeJsExit, UnhandledPromiseRejection]) {
  E.prototype.name = `Runtime.${E.name}`;
}

function isErrorLike(e) {
  return !!e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string' && !!e.name && !!e.message && !!e.stack;
}

/** The body posted to /error and /init/error (RIC toRapidResponse). Non-errors: errorType = typeof. */
function toRapidResponse(error) {
  try {
    if (types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: String(error.name).replaceAll('\x7F', '%7F'),
        errorMessage: String(error.message).replaceAll('\x7F', '%7F'),
        trace: typeof error.stack === 'string' ? error.stack.replaceAll('\x7F', '%7F').split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

const intoError = (err) => (err instanceof Error ? err : new Error(err));

function withEnumerableProperties(value) {
  if (!(value instanceof Error)) return value;
  const ret = Object.assign({ errorType: value.name, errorMessage: value.message, code: value.code }, value);
  if (typeof value.stack === 'string') ret.stack = value.stack.split('\n');
  return ret;
}

/** "\t{json}" form the RIC logs errors with in TEXT mode. */
function toFormatted(error) {
  try {
    return '\t' + JSON.stringify(error, (_k, v) => withEnumerableProperties(v));
  } catch {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

/** Header values must be visible ASCII (Node rejects control characters). */
const headerSafe = (s) => String(s).replace(/[^\t\x20-\x7e]/g, '');

// ---------------------------------------------------------------------------------------------
// Console (RIC LogPatch): every level goes to stdout as one line per call; inner newlines become \r
// so a multi-line message stays one log event. JSON format follows the RIC's formatJsonMessage.
// _LAMBDA_TELEMETRY_LOG_FD (framed binary logs to an fd) is not supported: the platform reads stdout.

const REQUEST_ID = Symbol.for('aws.lambda.runtime.requestId');
const NEWLINES = /\n/g;
const JSON_LOGS = env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';

function jsonErrorReplacer(_k, value) {
  if (!(value instanceof Error)) return value;
  return Object.assign(
    {
      errorType: value?.constructor?.name ?? 'UnknownError',
      errorMessage: value.message,
      stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack,
    },
    value,
  );
}

function formatJson(time, level, message, params) {
  const out = { timestamp: time, level, requestId: globalThis[REQUEST_ID] };
  if (params.length === 0) {
    out.message = message;
    try {
      return JSON.stringify(out, jsonErrorReplacer);
    } catch {
      out.message = format(out.message);
      return JSON.stringify(out);
    }
  }
  out.message = format(message, ...params);
  for (const p of params) {
    if (p instanceof Error) {
      out.errorType = p?.constructor?.name ?? 'UnknownError';
      out.errorMessage = p.message;
      out.stackTrace = typeof p.stack === 'string' ? p.stack.split('\n') : [];
      break;
    }
  }
  return JSON.stringify(out);
}

function writeLog(level, message, params) {
  const time = new Date().toISOString();
  const line = JSON_LOGS
    ? formatJson(time, level, message, params)
    : `${time}\t${globalThis[REQUEST_ID]}\t${level}\t${format(message, ...params)}`;
  process.stdout.write(line.replace(NEWLINES, '\r') + '\n');
}

const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
const MIN_LEVEL = LEVELS[env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()] ?? LEVELS.TRACE;
const noLog = () => {};
const logger = (level) => (LEVELS[level] >= MIN_LEVEL ? (message, ...params) => writeLog(level, message, params) : noLog);

const logError = logger('ERROR');
console.trace = logger('TRACE');
console.debug = logger('DEBUG');
console.info = logger('INFO');
console.log = console.info;
console.warn = logger('WARN');
console.error = logError;
console.fatal = logger('FATAL');

/** How the RIC logs "Invoke Error", "Uncaught Exception", "Unhandled Promise Rejection". */
function logFailure(label, err) {
  if (JSON_LOGS) logError(intoError(err));
  else logError(label, toFormatted(intoError(err)));
}

function postJson(path, body, errorType) {
  const headers = { 'Content-Type': 'application/json' };
  if (errorType !== undefined) headers[ERROR_TYPE_HEADER] = headerSafe(errorType);
  return rapid('POST', path, headers, body);
}

const lostApi = (err) => die(`Runtime API request failed: ${err && err.message}`);

// ---------------------------------------------------------------------------------------------
// Handler loading (RIC UserFunction.js)

const TASK_ROOT = resolvePath(env.LAMBDA_TASK_ROOT || process.cwd());
const HANDLER = env._HANDLER ?? '';
const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const HANDLER_HIGHWATERMARK = Symbol.for('aws.lambda.runtime.handler.streaming.highWaterMark');
const STREAM_RESPONSE = 'response';
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** Nearest package.json's "type" is "module" (stops at node_modules and /), as the RIC decides. */
function folderIsTypeModule(folder) {
  for (;;) {
    if (folder.endsWith(`${sep}node_modules`)) return false;
    const pj = join(folder, 'package.json');
    if (existsSync(pj)) {
      try {
        const pkg = JSON.parse(readFileSync(pj, 'utf8'));
        if (pkg) return pkg.type === 'module';
      } catch (e) {
        console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
        return false;
      }
    }
    const parent = dirname(folder);
    if (parent === folder) return false;
    folder = parent;
  }
}

const tryRequire = (file) => (existsSync(file) ? require(file) : undefined);
const tryImport = async (file) => (existsSync(file) ? await import(pathToFileURL(file).href) : undefined);

async function loadModule(moduleRootAbs, moduleName) {
  const lambdaPath = resolvePath(moduleRootAbs, moduleName);
  const extensionless = tryRequire(lambdaPath);
  if (extensionless) return extensionless;
  const typeModule = folderIsTypeModule(dirname(lambdaPath));
  if (!typeModule) {
    const cjs = tryRequire(`${lambdaPath}.js`);
    if (cjs) return cjs;
  }
  const ts = NODE_MAJOR >= 24; // the RIC loads TypeScript (type stripping) from Node 24 on
  const loaded =
    (typeModule && (await tryImport(`${lambdaPath}.js`))) ||
    (await tryImport(`${lambdaPath}.mjs`)) ||
    tryRequire(`${lambdaPath}.cjs`) ||
    (ts && !typeModule && tryRequire(`${lambdaPath}.ts`)) ||
    (ts && typeModule && (await tryImport(`${lambdaPath}.ts`))) ||
    (ts && (await tryImport(`${lambdaPath}.mts`))) ||
    (ts && tryRequire(`${lambdaPath}.cts`));
  if (loaded) return loaded;
  // Node-style resolution (node_modules, NODE_PATH); its failure is the familiar
  // "Cannot find module 'index'\nRequire stack:\n- <this file>".
  return require(require.resolve(moduleName, { paths: [TASK_ROOT, moduleRootAbs] }));
}

async function loadHandler(full) {
  if (full.includes('..')) {
    throw new MalformedHandlerName(`'${full}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  }
  const handlerString = basename(full);
  const moduleRoot = full.slice(0, Math.max(0, full.lastIndexOf(handlerString)));
  const match = /^([^.]*)\.(.*)$/.exec(handlerString);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;
  const moduleRootAbs = resolvePath(TASK_ROOT, moduleRoot);
  const modulePath = resolvePath(moduleRootAbs, moduleName);
  if (modulePath !== TASK_ROOT && !modulePath.startsWith(TASK_ROOT.endsWith(sep) ? TASK_ROOT : TASK_ROOT + sep)) {
    throw new MalformedHandlerName(`'${full}' is not a valid handler name. The handler must be inside the function's code directory.`);
  }

  if (env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA !== '1' && env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA !== 'true') {
    globalThis.awslambda = { ...globalThis.awslambda, streamifyResponse, HttpResponseStream };
  }

  let mod;
  try {
    mod = await loadModule(moduleRootAbs, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) {
      const wrapped = new UserCodeSyntaxError(e);
      // The newer RIC keeps the original stack: it carries the file and line of the mistake.
      if (typeof e.stack === 'string') wrapped.stack = e.stack;
      throw wrapped;
    }
    if (e !== null && typeof e === 'object' && e.code === 'MODULE_NOT_FOUND') throw new ImportModuleError(e);
    throw e;
  }

  const pick = (root) => handlerPath.split('.').reduce((o, key) => o && o[key], root);
  let fn = pick(mod);
  // Newer RIC (nodejs24.x): also look inside a default export (`export default { handler }`).
  if (!fn && mod !== null && typeof mod === 'object' && 'default' in mod) fn = pick(mod.default);
  if (!fn) throw new HandlerNotFound(`${full} is undefined or not exported`);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${full} is not a function`);
  // Note: real nodejs24.x rejects callback handlers (3+ parameters) at init with
  // Runtime.CallbackHandlerDeprecated; selfless keeps supporting them on every Node version.
  const streaming = fn[HANDLER_STREAMING];
  if (streaming !== undefined && streaming !== null && streaming !== false && streaming !== STREAM_RESPONSE) {
    throw new MalformedStreamingHandler('Only response streaming is supported.');
  }
  return fn;
}

// ---------------------------------------------------------------------------------------------
// awslambda global (the RIC provides it for response streaming)

// Response streaming as the RIC does it: a handler marked by streamifyResponse is called as
// handler(event, responseStream, context); what it writes goes to /response as it is written (chunked,
// Lambda-Runtime-Function-Response-Mode: streaming), and a failure after that is told in trailers.

function streamifyResponse(handler, options) {
  handler[HANDLER_STREAMING] = STREAM_RESPONSE;
  if (typeof options?.highWaterMark === 'number') handler[HANDLER_HIGHWATERMARK] = parseInt(String(options.highWaterMark));
  return handler;
}

const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER_LENGTH = 8;

/** Function URLs read a JSON prelude (statusCode, headers, cookies) and eight NUL bytes before the body. */
const HttpResponseStream = {
  from(stream, prelude) {
    stream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const text = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(text);
      write(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
    };
    return stream;
  },
};

/**
 * The /response request of a streamed answer, as the writable the handler is given: the content type may
 * be set until the first write; objects written are sent as JSON; `fail` ends it with error trailers.
 */
function openResponseStream(id, highWaterMark) {
  const req = httpRequest({
    host: API_HOST,
    port: API_PORT,
    method: 'POST',
    path: `${PREFIX}/invocation/${encodeURIComponent(id)}/response`,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      Trailer: `${ERROR_TYPE_HEADER}, Lambda-Runtime-Function-Error-Body`,
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
    },
    agent,
    ...(highWaterMark === undefined ? {} : { highWaterMark }),
  });
  const answered = new Promise((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      res.once('end', resolve);
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  let written = false;
  const write = req.write.bind(req);
  req.setContentType = (contentType) => {
    if (written) throw new InvalidStreamingOperation('Cannot set content-type, too late.');
    req.setHeader('Content-Type', contentType);
  };
  req.write = (chunk, encoding, callback) => {
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    if (!written) {
      written = true;
      if (typeof req._onBeforeFirstWrite === 'function') req._onBeforeFirstWrite((bytes) => write(bytes));
    }
    return write(data, encoding, callback);
  };
  const fail = (err) => {
    const error = toRapidResponse(err);
    if (!written && typeof req._onBeforeFirstWrite === 'function') {
      written = true;
      req._onBeforeFirstWrite((bytes) => write(bytes));
    }
    if (!req.writableEnded) {
      req.addTrailers({ [ERROR_TYPE_HEADER]: headerSafe(error.errorType), 'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(error)).toString('base64') });
      req.end();
    }
    return answered.catch(() => undefined);
  };
  return { stream: req, answered, fail };
}

/** Runs a streaming handler for one invocation: reported once its stream has ended and /response answered. */
function runStreaming(inv, event, context) {
  inv.reported = true;
  const { stream, answered, fail } = openResponseStream(inv.id, handler[HANDLER_HIGHWATERMARK]);
  const failed = (err) => {
    logFailure('Invoke Error', err);
    return fail(err);
  };
  onEmptyLoop = () => {
    onEmptyLoop = undefined;
    finish(failed(new NodeJsExit()));
  };
  const finish = (reported) => {
    inflight = reported.then(() => {
      current = undefined;
      onEmptyLoop = undefined;
      afterReport();
    }, lostApi);
  };
  let result;
  try {
    result = handler(event, stream, context);
  } catch (err) {
    return finish(failed(err));
  }
  if (!result || typeof result.then !== 'function') return finish(failed(new Error('Streaming does not support non-async handlers.')));
  finish(
    result.then(
      async (value) => {
        if (value !== undefined) console.warn('Streaming handlers ignore return values.');
        await answered;
      },
      (err) => failed(err),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Invocation loop (RIC Runtime.js, CallbackContext.js, InvokeContext.js)

const FN_NAME = env.AWS_LAMBDA_FUNCTION_NAME;
const FN_VERSION = env.AWS_LAMBDA_FUNCTION_VERSION;
const FN_MEMORY = env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE;
const LOG_GROUP = env.AWS_LAMBDA_LOG_GROUP_NAME;
const LOG_STREAM = env.AWS_LAMBDA_LOG_STREAM_NAME;
const ALREADY_DONE = 'Invocation has already been reported as done. Cannot call complete more than once per invocation.';

let initializing = true;
let exiting = false;
let handler;
let handlerIsAsync = false;
/** The invocation that has not been reported yet (there is at most one). */
let current;
/** The POST reporting the last invocation, while in flight. */
let inflight;
/** What to do when the event loop empties (RIC BeforeExitListener). */
let onEmptyLoop;

process.on('beforeExit', () => {
  const fn = onEmptyLoop;
  if (fn !== undefined) fn();
});
process.on('uncaughtException', (err) => fatal(err, 129, 'Uncaught Exception'));
process.on('unhandledRejection', (reason, promise) => fatal(new UnhandledPromiseRejection(reason, promise), 128, 'Unhandled Promise Rejection'));

function parseJsonHeader(value, name) {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new Error(`Cannot parse ${name} as json: ${err.toString()}`);
  }
}

function nextInvocation() {
  initializing = false;
  // The environment is frozen once /next is asked for, and output to a pipe is queued in this process
  // (Node writes pipes asynchronously): let it reach the platform first, or it would wait for the next
  // invocation. A write of nothing calls back once everything before it is written.
  const pending = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
  const asked = () => rapid('GET', `${PREFIX}/invocation/next`, undefined, undefined).then(onInvocation, lostApi);
  if (pending.length === 0) return void asked();
  Promise.all(pending.map((stream) => new Promise((resolve) => stream.write('', resolve)))).then(asked);
}

function afterReport() {
  inflight = undefined;
  if (!exiting) nextInvocation();
}

/** Posts the invocation's outcome once; then fetches the next event. */
function report(inv, path, body, errorType) {
  inv.reported = true;
  current = undefined;
  onEmptyLoop = undefined;
  inflight = postJson(path, body, errorType).then(afterReport, lostApi);
  return inflight;
}

function postResult(inv, result) {
  if (inv.reported) return void console.error(ALREADY_DONE);
  let body;
  try {
    body = JSON.stringify(result === undefined ? null : result);
  } catch {
    return postError(inv, new Error('Unable to stringify response body'));
  }
  report(inv, `${PREFIX}/invocation/${encodeURIComponent(inv.id)}/response`, body ?? 'null', undefined);
}

function postErrorQuietly(inv, err) {
  const response = toRapidResponse(err);
  return report(inv, `${PREFIX}/invocation/${encodeURIComponent(inv.id)}/error`, JSON.stringify(response), response.errorType);
}

function postError(inv, err) {
  if (inv.reported) return void console.error(ALREADY_DONE);
  logFailure('Invoke Error', err);
  postErrorQuietly(inv, err);
}

function onInvocation(res) {
  if (res.status !== 200) die(`Runtime API /next answered ${res.status}: ${res.body.toString()}`);
  const h = res.headers;
  const id = h['lambda-runtime-aws-request-id'];
  if (!id) die('Runtime API /next answered without Lambda-Runtime-Aws-Request-Id');
  const inv = { id, reported: false, finished: false, waits: true };
  current = inv;
  globalThis[REQUEST_ID] = id;
  const trace = h['lambda-runtime-trace-id'];
  if (trace) env._X_AMZN_TRACE_ID = trace;
  else delete env._X_AMZN_TRACE_ID;
  const deadline = Number(h['lambda-runtime-deadline-ms']);

  // A handler that neither returns a promise nor calls back is answered when the event loop empties:
  // null for a plain function, Runtime.NodeJsExit for an async one whose promise never settled.
  onEmptyLoop = () => {
    if (handlerIsAsync) postError(inv, new NodeJsExit());
    else postResult(inv, null);
  };

  const done = (err, result) => {
    if (err !== undefined && err !== null) postError(inv, err);
    else postResult(inv, result);
  };
  const once = (fn) => (...args) => {
    if (inv.finished) return;
    inv.finished = true;
    fn(...args);
  };
  const callback = once((err, result) => {
    if (inv.reported) return void console.error(ALREADY_DONE);
    onEmptyLoop = undefined;
    if (err !== undefined && err !== null) postError(inv, err);
    else if (!inv.waits) postResult(inv, result);
    else onEmptyLoop = () => setImmediate(() => postResult(inv, result));
  });
  const succeed = once((result) => done(null, result));
  const fail = once((err) => done(err === undefined || err === null ? 'handled' : err, null));

  try {
    const event = JSON.parse(res.body.toString());
    const context = {
      get callbackWaitsForEmptyEventLoop() {
        return inv.waits;
      },
      set callbackWaitsForEmptyEventLoop(value) {
        inv.waits = value;
      },
      succeed,
      fail,
      done: once(done),
      functionVersion: FN_VERSION,
      functionName: FN_NAME,
      memoryLimitInMB: FN_MEMORY,
      logGroupName: LOG_GROUP,
      logStreamName: LOG_STREAM,
      clientContext: parseJsonHeader(h['lambda-runtime-client-context'], 'ClientContext'),
      identity: parseJsonHeader(h['lambda-runtime-cognito-identity'], 'CognitoIdentity'),
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      awsRequestId: id,
      tenantId: h['lambda-runtime-aws-tenant-id'],
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    if (handler[HANDLER_STREAMING] === STREAM_RESPONSE) return runStreaming(inv, event, context);
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function') result.then(succeed, fail);
  } catch (err) {
    callback(err);
  }
}

// ---------------------------------------------------------------------------------------------
// Fatal errors (RIC index.mjs): init → /init/error; during an invocation → its /error; otherwise
// just log. Then exit 129 (uncaught exception) or 128 (unhandled rejection).

function fatal(err, code, label) {
  logFailure(label, err);
  if (exiting) return;
  exiting = true;
  onEmptyLoop = undefined;
  const exit = () => process.exit(code);
  let pending;
  if (initializing) {
    const response = toRapidResponse(err);
    pending = postJson(`${PREFIX}/init/error`, JSON.stringify(response), response.errorType);
  } else if (current !== undefined) {
    pending = postErrorQuietly(current, err);
  } else {
    pending = inflight;
  }
  Promise.resolve(pending).then(exit, exit);
}

// ---------------------------------------------------------------------------------------------
// Init

try {
  handler = await loadHandler(HANDLER);
  handlerIsAsync = handler.constructor?.name === 'AsyncFunction';
} catch (err) {
  fatal(err, 129, 'Uncaught Exception');
}
if (!exiting) nextInvocation();
