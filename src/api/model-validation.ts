import { readFileSync } from 'node:fs';
import { AwsError } from '../core/index.js';
import { header, jsonBody, type RequestContext, type Route } from './http.js';

/**
 * Request validation driven by AWS Lambda's service model (model/lambda.json, generated from botocore by
 * scripts/generate-lambda-model.py): lengths, ranges, patterns, enums and required members of every
 * operation's input, checked before the operation runs and worded as AWS's validator words them:
 * `2 validation errors detected: Value 'x' at 'functionName' failed to satisfy constraint: …; Value …`.
 * Lambda's own rules (quotas, reserved keys, cross-member checks) stay with the services, after these.
 */

interface Shape {
  readonly type: 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'boolean' | 'blob' | 'timestamp';
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly required?: readonly string[];
  /** The member that is the whole HTTP body (Invoke's Payload), not a JSON member. */
  readonly payload?: string;
  readonly members?: Readonly<Record<string, MemberRef>>;
  readonly member?: string;
  readonly key?: string;
  readonly value?: string;
  /** AWS also requires this collection's members to be non-null, and says so among their constraints. */
  readonly membersNotNull?: boolean;
  /** Its values are secrets (Environment.Variables): AWS's messages leave them out (`Value at 'x' …`). */
  readonly sensitive?: boolean;
}

interface MemberRef {
  readonly shape: string;
  readonly location?: 'uri' | 'querystring' | 'header' | 'headers';
  readonly locationName?: string;
}

interface Model {
  readonly operations: Readonly<Record<string, { readonly method: string; readonly uri: string; readonly input?: string }>>;
  readonly shapes: Readonly<Record<string, Shape>>;
}

const MODEL = JSON.parse(readFileSync(new URL('../../../model/lambda.json', import.meta.url), 'utf8')) as Model;

/** IAM actions named otherwise than the model operation they call. */
const MODEL_OPERATION: Readonly<Record<string, string>> = { InvokeFunction: 'Invoke' };

const NUMBER_TYPES = new Set(['integer', 'long', 'double']);

/**
 * The model operation a request is for: its IAM action's (a route may serve two, as the provisioned
 * concurrency path does by its `List=ALL`); none for routes that are not Lambda's API.
 */
export function modelOperation(route: Route, action: string): string | undefined {
  if (route.service !== 'lambda' || !action.startsWith('lambda:')) return undefined;
  const name = action.slice('lambda:'.length);
  const operation = MODEL_OPERATION[name] ?? name;
  return MODEL.operations[operation]?.input === undefined ? undefined : operation;
}

/** AWS's ValidationException for a request (to `action`, the route's IAM action) that breaks its operation's model constraints. */
export function validateRequest(route: Route, action: string, ctx: RequestContext): void {
  const operation = modelOperation(route, action);
  if (operation === undefined) return;
  const clauses = validateInput(operation, requestInput(operation, ctx));
  if (clauses.length === 0) return;
  const count = clauses.length === 1 ? '1 validation error' : `${clauses.length} validation errors`;
  throw new AwsError('ValidationException', `${count} detected: ${clauses.join('; ')}`);
}

/** The operation's input members as the request carries them: path, query string, headers and JSON body. */
export function requestInput(operation: string, ctx: RequestContext): Record<string, unknown> {
  const shape = inputShape(operation);
  const input: Record<string, unknown> = {};
  let body: Record<string, unknown> | undefined;
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const located = ref.locationName ?? name;
    let value: unknown;
    if (ref.location === 'uri') value = ctx.params[located];
    else if (ref.location === 'querystring') value = queryValue(ctx.query, located, shapeOf(ref.shape));
    else if (ref.location === 'header') value = header(ctx, located.toLowerCase());
    else if (name === shape.payload) value = ctx.body.length === 0 ? undefined : ctx.body;
    else if (ref.location === undefined) {
      body ??= ctx.body.length === 0 ? {} : jsonBody(ctx);
      value = body[name];
    }
    if (value !== undefined) input[name] = value;
  }
  return input;
}

/** The constraint clauses an input breaks, in the model's member order; empty when it is valid. */
export function validateInput(operation: string, input: Readonly<Record<string, unknown>>): string[] {
  const clauses: string[] = [];
  checkStructure(inputShape(operation), input, '', clauses);
  return clauses;
}

function inputShape(operation: string): Shape {
  const name = MODEL.operations[operation]?.input;
  if (name === undefined) throw new Error(`no input shape for ${operation}`);
  return shapeOf(name);
}

function shapeOf(name: string): Shape {
  const shape = MODEL.shapes[name];
  if (shape === undefined) throw new Error(`model/lambda.json has no shape ${name}`);
  return shape;
}

/** A query parameter as its shape's type: numbers parsed, lists gathered; an empty list is no value. */
function queryValue(query: URLSearchParams, name: string, shape: Shape): unknown {
  if (shape.type === 'list') {
    const all = query.getAll(name);
    return all.length === 0 ? undefined : all;
  }
  const raw = query.get(name);
  if (raw === null) return undefined;
  if (NUMBER_TYPES.has(shape.type) && /^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return raw;
}

function checkStructure(shape: Shape, value: Readonly<Record<string, unknown>>, path: string, clauses: string[]): void {
  for (const [name, ref] of Object.entries(shape.members ?? {})) {
    const member = value[name];
    const at = `${path}${path === '' ? '' : '.'}${name.charAt(0).toLowerCase()}${name.slice(1)}`;
    if (member === undefined || member === null) {
      if (shape.required?.includes(name)) clauses.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    checkValue(ref.shape, member, at, clauses);
  }
}

function checkValue(name: string, value: unknown, at: string, clauses: string[]): void {
  const shape = shapeOf(name);
  const subject = shape.sensitive === true ? 'Value' : `Value '${shown(value, shape)}'`;
  const fail = (constraint: string) => clauses.push(`${subject} at '${at}' failed to satisfy constraint: ${constraint}`);
  switch (shape.type) {
    case 'structure':
      if (isRecord(value)) checkStructure(shape, value, at, clauses);
      return;
    case 'list': {
      if (!Array.isArray(value)) return;
      for (const broken of lengthConstraints(shape, value.length)) fail(broken);
      const member = shapeOf(shape.member!);
      if (member.type === 'structure') {
        value.forEach((item, i) => {
          if (isRecord(item)) checkStructure(member, item, `${at}.${i + 1}.member`, clauses);
        });
      } else if (value.some((item) => memberBreaks(member, item, shape.membersNotNull === true))) {
        fail(`Member must satisfy constraint: [${allConstraints(member, shape.membersNotNull === true)}]`);
      }
      return;
    }
    case 'map': {
      if (!isRecord(value)) return;
      const key = shapeOf(shape.key!);
      const val = shapeOf(shape.value!);
      const entries = Object.entries(value);
      if (entries.some(([k]) => memberBreaks(key, k, false))) fail(`Map keys must satisfy constraint: [${allConstraints(key, false)}]`);
      if (val.type !== 'structure' && entries.some(([, v]) => memberBreaks(val, v, shape.membersNotNull === true))) {
        fail(`Map value must satisfy constraint: [${allConstraints(val, shape.membersNotNull === true)}]`);
      }
      return;
    }
    case 'string':
      if (typeof value === 'string') for (const broken of stringConstraints(shape, value)) fail(broken);
      return;
    default:
      if (NUMBER_TYPES.has(shape.type) && typeof value === 'number') for (const broken of rangeConstraints(shape, value)) fail(broken);
  }
}

function lengthConstraints(shape: Shape, length: number): string[] {
  const broken: string[] = [];
  if (shape.max !== undefined && length > shape.max) broken.push(`Member must have length less than or equal to ${shape.max}`);
  if (shape.min !== undefined && length < shape.min) broken.push(`Member must have length greater than or equal to ${shape.min}`);
  return broken;
}

function stringConstraints(shape: Shape, value: string): string[] {
  const broken = lengthConstraints(shape, value.length);
  // A value far past any real one is not matched at all: a caller's megabytes are no regex's input.
  if (shape.pattern !== undefined && value.length <= PATTERN_INPUT_MAX && !patternOf(shape.pattern).test(value)) {
    broken.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  }
  if (shape.enum !== undefined && !shape.enum.includes(value)) broken.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  return broken;
}

function rangeConstraints(shape: Shape, value: number): string[] {
  const broken: string[] = [];
  if (shape.max !== undefined && value > shape.max) broken.push(`Member must have value less than or equal to ${numberText(shape.max, shape)}`);
  if (shape.min !== undefined && value < shape.min) broken.push(`Member must have value greater than or equal to ${numberText(shape.min, shape)}`);
  return broken;
}

function memberBreaks(shape: Shape, value: unknown, notNull: boolean): boolean {
  if (value === null || value === undefined) return notNull;
  if (shape.type === 'string') return typeof value === 'string' && stringConstraints(shape, value).length > 0;
  if (NUMBER_TYPES.has(shape.type)) return typeof value === 'number' && rangeConstraints(shape, value).length > 0;
  return false;
}

/** Every constraint a collection's member shape carries, as AWS lists them when one member breaks any. */
function allConstraints(shape: Shape, notNull: boolean): string {
  const all: string[] = [];
  const noun = shape.type === 'string' ? 'length' : 'value';
  if (shape.max !== undefined) all.push(`Member must have ${noun} less than or equal to ${numberText(shape.max, shape)}`);
  if (shape.min !== undefined) all.push(`Member must have ${noun} greater than or equal to ${numberText(shape.min, shape)}`);
  if (shape.pattern !== undefined) all.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  if (shape.enum !== undefined) all.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  if (notNull) all.push('Member must not be null');
  return all.join(', ');
}

/** A value as AWS's (Java) validator prints it: lists `[a, b]`, maps `{k=v}`, doubles `2.0`. */
function shown(value: unknown, shape: Shape): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value, shape);
  if (Array.isArray(value)) {
    const member = shape.member === undefined ? shape : shapeOf(shape.member);
    return `[${value.map((item) => shown(item, member)).join(', ')}]`;
  }
  if (isRecord(value)) {
    const member = shape.value === undefined ? shape : shapeOf(shape.value);
    return `{${Object.entries(value)
      .map(([k, v]) => `${k}=${shown(v, member)}`)
      .join(', ')}}`;
  }
  return String(value);
}

function numberText(value: number, shape: Shape): string {
  return shape.type === 'double' && Number.isInteger(value) ? value.toFixed(1) : String(value);
}

/** Longer than any patterned member AWS takes (the longest limit is a few KB); longer values are not matched. */
const PATTERN_INPUT_MAX = 64 * 1024;

const patterns = new Map<string, RegExp>();

/** The model's (Java) pattern as a whole-value match, as Java's `matches()` applies it. */
function patternOf(source: string): RegExp {
  let compiled = patterns.get(source);
  if (compiled === undefined) {
    try {
      compiled = new RegExp(`^(?:${source})$`, 'u');
    } catch {
      compiled = new RegExp(`^(?:${source})$`);
    }
    patterns.set(source, compiled);
  }
  return compiled;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
