/**
 * Deterministic JSON: object keys sorted at every level, no whitespace. Used wherever a hash
 * must not depend on key order (idempotency, disclosure manifests, the access-log chain).
 *
 * Written out directly rather than by building a sorted copy and stringifying it (that copy was
 * a tenth of a case read's own CPU and garbage). The text is exactly what
 * `JSON.stringify(sortedCopy(value))` gave, byte for byte — hashes already in the log depend on
 * it (canonical-json.spec.ts checks both against each other on generated values): keys sorted as
 * strings, except that keys that are array indices come first in numeric order (as in any object
 * JSON.stringify writes); undefined, functions and symbols left out of objects and written as
 * null in arrays (also holes); dates as ISO strings; any other object by its own enumerable keys.
 */
export function canonicalJson(value: unknown): string {
  return write(value) as string;
}

const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/;
/** Only a key starting with a digit can be an index: most keys are decided without the pattern. */
const isArrayIndex = (key: string) => {
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && ARRAY_INDEX.test(key) && Number(key) < 4294967295;
};

/** Keys as JSON writes them, remembered: the same few field names recur in every entry and disclosure. */
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 2000;
/** A key JSON writes as itself between quotes (nothing to escape), short: worth remembering. */
const PLAIN_KEY = /^[A-Za-z0-9_:.-]{1,64}$/;

function quoted(key: string): string {
  let text = quotedKeys.get(key);
  if (text === undefined) {
    text = JSON.stringify(key);
    // Only field names, never values, are keys here; still, only plain short ones are kept.
    if (quotedKeys.size < MAX_QUOTED_KEYS && PLAIN_KEY.test(key)) quotedKeys.set(key, text);
  }
  return text;
}

/** A string JSON writes as itself between quotes: nothing to escape, no lone surrogate. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPING = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** Leaves as JSON.stringify writes them; strings and numbers without a call into the runtime each (half the time). */
function writeLeaf(value: unknown): string | undefined {
  if (typeof value === 'string') return NEEDS_ESCAPING.test(value) ? JSON.stringify(value) : `"${value}"`;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return JSON.stringify(value);
}

function write(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return writeLeaf(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++)
      out += i === 0 ? (write(value[i]) ?? 'null') : `,${write(value[i]) ?? 'null'}`;
    return `${out}]`;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const ordered = keys.some(isArrayIndex)
    ? [...keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isArrayIndex(k))]
    : keys;
  let out = '{';
  let first = true;
  for (const key of ordered) {
    const member = record[key];
    if (member === undefined) continue;
    const text = write(member);
    if (text === undefined) continue;
    out += first ? `${quoted(key)}:${text}` : `,${quoted(key)}:${text}`;
    first = false;
  }
  return `${out}}`;
}
