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
const isArrayIndex = (key: string) => ARRAY_INDEX.test(key) && Number(key) < 4294967295;

function write(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) parts.push(write(value[i]) ?? 'null');
    return `[${parts.join(',')}]`;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  const indices = keys.filter(isArrayIndex);
  const ordered =
    indices.length === 0
      ? keys
      : [...indices.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isArrayIndex(k))];
  const parts: string[] = [];
  for (const key of ordered) {
    const member = record[key];
    if (member === undefined) continue;
    const text = write(member);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}
