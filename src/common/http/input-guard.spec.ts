import { describe, expect, it } from '@jest/globals';
import { findUnsafeText, jsonDepthExceeds, MAX_JSON_DEPTH } from './input-guard.js';

describe('jsonDepthExceeds', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('allows the cap and refuses one level more, for arrays and objects alike', () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonDepthExceeds('{"a":'.repeat(MAX_JSON_DEPTH + 1) + '1' + '}'.repeat(MAX_JSON_DEPTH + 1))).toBe(true);
  });

  it('does not count brackets inside strings, also after escaped quotes and backslashes', () => {
    expect(jsonDepthExceeds(JSON.stringify({ text: '['.repeat(100) }))).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: '\\"' + '{'.repeat(100) }))).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ text: 'ends in a backslash \\' }) + nested(3), 4)).toBe(false);
  });

  it('reads multi-byte UTF-8 without losing its place', () => {
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ ü: '€[[[', nested: [[['é']]] }), 'utf8'), 4)).toBe(false);
    expect(jsonDepthExceeds(Buffer.from(JSON.stringify({ ü: '€', nested: [[[['é']]]] }), 'utf8'), 4)).toBe(true);
  });
});

describe('findUnsafeText', () => {
  it('points at a NUL character or a lone surrogate in a value, however deep', () => {
    expect(findUnsafeText({ a: [{ b: 'x\u0000' }] })).toEqual({
      pointer: '/a/0/b',
      detail: expect.stringContaining('NUL'),
    });
    expect(findUnsafeText({ email: '\uD800@example.org' })?.pointer).toBe('/email');
    expect(findUnsafeText({ text: 'lone low \uDC00' })?.pointer).toBe('/text');
  });

  it('points at a field name that is not text, and escapes pointer segments', () => {
    expect(findUnsafeText({ 'a/b': { 'k\u0000': 1 } })?.pointer).toBe('/a~1b/k\uFFFD');
  });

  it('accepts well-formed Unicode, surrogate pairs included', () => {
    expect(findUnsafeText({ text: 'Post op de mat 📬 — çà', list: ['ok', 1, null, true] })).toBeNull();
  });
});
