import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('gives the same text whatever the key order, so hashes of equal data are equal', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [2, { y: 2, z: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('keeps array order, which carries meaning', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('drops undefined members as JSON does and writes dates as ISO strings', () => {
    expect(canonicalJson({ a: undefined, at: new Date('2026-11-22T10:00:00Z') })).toBe(
      '{"at":"2026-11-22T10:00:00.000Z"}',
    );
  });

  it('writes exactly what stringifying a sorted copy wrote, on generated values (hashes in the log depend on it)', () => {
    // The implementation before the direct writer, kept here as the reference.
    const sortKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sortKeys);
      if (value instanceof Date) return value.toISOString();
      if (value && typeof value === 'object') {
        return Object.fromEntries(
          Object.keys(value as Record<string, unknown>)
            .sort()
            .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
            .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
        );
      }
      return value;
    };
    const reference = (value: unknown) => JSON.stringify(sortKeys(value));
    const outcome = (f: () => unknown) => {
      try {
        return { text: f() };
      } catch (error) {
        return { threw: (error as Error).name };
      }
    };
    fc.assert(
      fc.property(
        fc.anything({
          withDate: true,
          withSparseArray: true,
          withNullPrototype: true,
          withBoxedValues: true,
          withMap: true,
          withSet: true,
          withTypedArray: true,
          withObjectString: true,
          key: fc.oneof(
            fc.string(),
            fc.constantFrom('0', '1', '2', '10', '9', '01', '4294967295', '-1', '__proto__', 'a'),
          ),
        }),
        (value) => {
          expect(outcome(() => canonicalJson(value))).toEqual(outcome(() => reference(value)));
        },
      ),
      { numRuns: 3000, seed: 12 },
    );
    // Integer-like keys, a hole, a function member, a nested date.
    // eslint-disable-next-line no-sparse-arrays -- a hole on purpose
    const odd = { b: [1, , () => 1], 10: 'x', 9: 'y', a: { at: new Date(0), f: () => 1 }, '01': 1 };
    expect(canonicalJson(odd)).toBe(reference(odd));
  });

  it('writes strings and numbers exactly as JSON does: escapes, control characters, lone surrogates, any number', () => {
    const strings = [
      'plain',
      'quote " in',
      'back \\ slash',
      'tab\tnew\nline',
      '\u0000\u001f\u007f',
      'é ë ï',
      '😀',
      '\ud800',
      'x\udfff',
      '\u2028\u2029',
      '',
    ];
    for (const text of strings) expect(canonicalJson({ text })).toBe(JSON.stringify({ text }));
    const numbers = [0, -0, 1.5, -2e-7, 1e21, 123456789012345680000, Number.MAX_VALUE, NaN, Infinity, -Infinity];
    expect(canonicalJson(numbers)).toBe(JSON.stringify(numbers));
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.integer())), (values) => {
        expect(canonicalJson(values)).toBe(JSON.stringify(values));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
