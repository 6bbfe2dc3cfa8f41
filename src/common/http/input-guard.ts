import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '../problem/problem.js';

/**
 * Input the gateway refuses before any validation, for every route: JSON nested deeper than any
 * of its bodies (a 10,000-deep array overflows the stack of a recursive validator or serialiser),
 * NUL characters (PostgreSQL cannot store them in text or jsonb) and lone UTF-16 surrogates
 * (they are not text at all; some validators throw on them). All get 400 problem+json, so a
 * malformed request never reaches a service and never becomes a 500.
 */

/** Deeper than any body of the API (the care plan is three levels); generous, still far from stack limits. */
export const MAX_JSON_DEPTH = 32;

const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether raw JSON text nests objects/arrays deeper than `max`. One pass over the bytes, no
 * parsing and no recursion, so it is safe on any input; brackets inside strings do not count.
 * (Every byte it looks at is ASCII, which never occurs inside a multi-byte UTF-8 sequence.)
 */
export function jsonDepthExceeds(body: Buffer | string, max = MAX_JSON_DEPTH): boolean {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      if (depth > max) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  return false;
}

// With the u flag a well-formed surrogate pair is one code point, so this matches only lone halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why a string cannot be accepted as text, or null when it can. */
export function unsafeTextReason(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode (a lone surrogate was found)';
  return null;
}

function pointerSegment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A refused name as it may appear in a pointer: its NULs and lone surrogates shown as U+FFFD. */
function printable(name: string): string {
  return name.replaceAll('\u0000', '\uFFFD').replace(/[\uD800-\uDFFF]/gu, '\uFFFD');
}

/**
 * The JSON pointer of the first string (value or key) in a parsed body that is not acceptable
 * text, with the reason; null when all are. Iterative, so depth does not matter here.
 */
export function findUnsafeText(value: unknown): { pointer: string; detail: string } | null {
  const stack: { value: unknown; pointer: string }[] = [{ value, pointer: '' }];
  while (stack.length > 0) {
    const { value: current, pointer } = stack.pop()!;
    if (typeof current === 'string') {
      const reason = unsafeTextReason(current);
      if (reason) return { pointer, detail: `text ${reason}` };
    } else if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push({ value: item, pointer: `${pointer}/${index}` }));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        const reason = unsafeTextReason(key);
        const at = `${pointer}/${pointerSegment(reason ? printable(key) : key)}`;
        if (reason) return { pointer: at, detail: `field name ${reason}` };
        stack.push({ value: item, pointer: at });
      }
    }
  }
  return null;
}

function refusal(pointer: string, detail: string, title: string): ProblemException {
  return new ProblemException('validation-failed', title, { errors: [{ pointer, detail }] });
}

/**
 * Replaces the JSON body parser: the depth cap runs on the raw bytes before parsing, the text
 * check on the parsed value. Fastify's own parser does the parsing (and keeps refusing
 * `__proto__` and `constructor.prototype`). Only application/json is registered: any other
 * content type is 415.
 */
export function registerJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Typed for strings; it takes a Buffer as well (secure-json-parse reads both).
  const parseJson = fastify.getDefaultJsonParser('error', 'error') as unknown as (
    request: FastifyRequest,
    body: Buffer,
    done: (error: Error | null, value?: unknown) => void,
  ) => void;
  if (fastify.hasContentTypeParser('application/json')) fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request, body, done) => {
    if (jsonDepthExceeds(body as Buffer)) {
      done(
        refusal('', `JSON nested deeper than ${MAX_JSON_DEPTH} levels`, 'The body nests deeper than any request needs'),
        undefined,
      );
      return;
    }
    parseJson(request, body as Buffer, (error, value) => {
      if (error) return done(error, undefined);
      const unsafe = findUnsafeText(value);
      if (unsafe) return done(refusal(unsafe.pointer, unsafe.detail, 'The body holds text that cannot be accepted'));
      done(null, value);
    });
  });
}

/**
 * Refuses NUL characters and lone surrogates in the query string and path parameters, before
 * authentication (they can never be valid, whoever sends them). Pointers name the parameter, as
 * the validation pipe's do.
 */
export async function rejectUnsafeUrl(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  for (const source of [request.query, request.params]) {
    if (!source || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      for (const text of [name, ...(Array.isArray(value) ? value : [value])]) {
        if (typeof text !== 'string') continue;
        const reason = unsafeTextReason(text);
        if (reason) {
          const pointer = `/${pointerSegment(printable(name))}`;
          throw refusal(pointer, `parameter ${reason}`, 'The URL holds text that cannot be accepted');
        }
      }
    }
  }
}
