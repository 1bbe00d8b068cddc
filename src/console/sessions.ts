import { randomBytes } from 'node:crypto';
import { sameSecret, type AccessKeyLookup, type Caller } from '../auth/index.js';
import { AwsError, type Clock } from '../core/index.js';

/** How long a console sign-in lasts without use. */
const IDLE_MS = 8 * 3600_000;
/** Sessions held at once; past it the oldest goes (a sign-in flood cannot grow the server's memory). */
const MAX_SESSIONS = 1000;

/** Failed sign-ins one address may make in a window before it must wait for the window's end. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;
/** Addresses whose failures are counted at once; past it the oldest count goes. */
const MAX_TRACKED = 10_000;

export const COOKIE = 'selfless_console';

interface Session {
  readonly caller: Caller;
  readonly csrfToken: string;
  lastUsedMs: number;
}

/**
 * Console sign-ins, held in the server's memory only: an access key is checked once, and the browser
 * gets an opaque session id (an HttpOnly, SameSite=Strict cookie) and a CSRF token it must send back
 * in a header on every call. The key itself never reaches the browser's storage, and a restart signs
 * everyone out.
 */
export class ConsoleSessions {
  readonly #sessions = new Map<string, Session>();
  /** Failed sign-ins per source address, in the window that began at `sinceMs`. */
  readonly #failures = new Map<string, { count: number; sinceMs: number }>();

  constructor(
    private readonly lookupKey: AccessKeyLookup,
    private readonly clock: Clock,
  ) {}

  /** Checks the key as SigV4 would (same lookup, secret compared in constant time); the new session's id and CSRF token. */
  signIn(accessKeyId: string, secretAccessKey: string, sessionToken: string | undefined, sourceIp: string): { id: string; csrfToken: string; caller: Caller } {
    const now = this.clock.now();
    let failures = this.#failures.get(sourceIp);
    if (failures !== undefined && now - failures.sinceMs >= FAILURE_WINDOW_MS) {
      this.#failures.delete(sourceIp);
      failures = undefined;
    }
    // Guessing a 40-character secret is hopeless anyway; this keeps a guesser from costing the server.
    if (failures !== undefined && failures.count >= MAX_FAILURES) {
      const waitSeconds = Math.ceil((failures.sinceMs + FAILURE_WINDOW_MS - now) / 1000);
      throw new AwsError('TooManyRequestsException', `Too many failed sign-ins from this address: try again in ${Math.ceil(waitSeconds / 60)} minute(s).`, {
        headers: { 'Retry-After': String(waitSeconds) },
      });
    }
    const key = this.lookupKey(accessKeyId, sessionToken);
    if (key === undefined || !sameSecret(secretAccessKey, key.secretAccessKey)) {
      if (failures === undefined) {
        if (this.#failures.size >= MAX_TRACKED) this.#failures.delete(this.#failures.keys().next().value!);
        this.#failures.set(sourceIp, { count: 1, sinceMs: now });
      } else failures.count += 1;
      throw new AwsError('UnrecognizedClientException', 'The access key ID or secret access key is not valid.');
    }
    this.#failures.delete(sourceIp);
    const caller: Caller = {
      accessKeyId,
      accountId: key.accountId,
      principalArn: key.principalArn,
      identity: key.identity,
      ...(sessionToken === undefined ? {} : { sessionToken }),
    };
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    if (this.#sessions.size >= MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    this.#sessions.set(id, { caller, csrfToken, lastUsedMs: this.clock.now() });
    return { id, csrfToken, caller };
  }

  /** The session a request's cookie names, if it is live. */
  find(cookieHeader: string | undefined): (Session & { id: string }) | undefined {
    const id = cookieValue(cookieHeader, COOKIE);
    const session = id === undefined ? undefined : this.#sessions.get(id);
    if (id === undefined || session === undefined) return undefined;
    const now = this.clock.now();
    if (now - session.lastUsedMs > IDLE_MS) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastUsedMs = now;
    return { ...session, id };
  }

  /** The caller of a console API call: a live session whose CSRF token the request repeats in its header. */
  authenticate(cookieHeader: string | undefined, csrfHeader: string | undefined): Caller {
    const session = this.find(cookieHeader);
    if (session === undefined) throw new AwsError('MissingAuthenticationTokenException', 'Sign in to the console first.');
    if (!sameSecret(csrfHeader ?? '', session.csrfToken)) {
      throw new AwsError('AccessDeniedException', 'The console request did not carry its session’s CSRF token.');
    }
    return session.caller;
  }

  signOut(cookieHeader: string | undefined): void {
    const id = cookieValue(cookieHeader, COOKIE);
    if (id !== undefined) this.#sessions.delete(id);
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
