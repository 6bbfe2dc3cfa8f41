import { describe, expect, it } from '@jest/globals';
import { suppress } from './suppression.js';

describe('small-cell suppression', () => {
  it('hides counts under five', () => {
    expect(suppress({ a: 12, b: 3, c: 2, d: 20 }).cells).toEqual({ a: 12, b: '<5', c: '<5', d: 20 });
  });

  it('hides a second cell when one alone would be recoverable from the total', () => {
    const { cells, total } = suppress({ a: 12, b: 3, c: 40 });
    expect(total).toBe(55);
    expect(cells).toEqual({ a: 'suppressed', b: '<5', c: 40 });
    // What is visible no longer determines either hidden cell.
    const visible = Object.values(cells)
      .filter((v): v is number => typeof v === 'number')
      .reduce((s, n) => s + n, 0);
    expect(55 - visible).toBe(15);
  });

  it('keeps zeroes and large counts as they are, and hides a small total', () => {
    expect(suppress({ a: 0, b: 7 }).cells).toEqual({ a: 0, b: 7 });
    expect(suppress({ a: 1, b: 2 }).total).toBe('<5');
  });
});
