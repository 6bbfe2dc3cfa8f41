import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { FieldCipher } from './field-cipher.js';
import { isValidNationalNumber } from './national-number.js';

describe('FieldCipher', () => {
  const k1 = { kid: 'k1', key: randomBytes(32) };
  const k2 = { kid: 'k2', key: randomBytes(32) };

  it('seals without leaving the plaintext, and opens what it sealed', () => {
    const cipher = new FieldCipher([k1]);
    const sealed = cipher.seal({ givenName: 'Anna', diagnoses: ['psychosis'] });
    expect(sealed).not.toContain('Anna');
    expect(sealed).not.toContain('psychosis');
    expect(cipher.open(sealed)).toEqual({ givenName: 'Anna', diagnoses: ['psychosis'] });
    expect(cipher.seal('same')).not.toBe(cipher.seal('same'));
  });

  it('reads values sealed with an older key after rotation, and seals new ones with the new key', () => {
    const old = new FieldCipher([k1]).seal('before');
    const rotated = new FieldCipher([k2, k1]);
    expect(rotated.open(old)).toBe('before');
    expect(rotated.kidOf(rotated.seal('after'))).toBe('k2');
  });

  it('refuses a tampered value or a retired key', () => {
    const cipher = new FieldCipher([k1]);
    const sealed = cipher.seal('x');
    // The second-to-last character changed (to another one: comparing that very character, not the last).
    const tampered = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.slice(-1);
    expect(() => cipher.open(tampered)).toThrow();
    expect(() => new FieldCipher([k2]).open(sealed)).toThrow(/unknown format or key/);
  });

  it('refuses a value of another shape without reading it', () => {
    const cipher = new FieldCipher([k1]);
    const [, kid, iv, payload] = cipher.seal('x').split('.');
    expect(cipher.open(['v1', kid, iv, payload].join('.'))).toBe('x');
    for (const odd of [
      ['v2', kid, iv, payload],
      ['v1', kid, iv],
      ['v1', kid, '', payload],
      ['v1', kid, iv, ''],
      ['v1', kid, iv, payload, 'more'],
      ['v1', '', iv, payload],
      ['', 'v1', kid, iv, payload],
    ])
      expect(() => cipher.open(odd.join('.'))).toThrow(/unknown format or key/);
  });
});

describe('national register number', () => {
  it('accepts valid numbers of people born before and after 2000', () => {
    expect(isValidNationalNumber('85073003328')).toBe(true);
    expect(isValidNationalNumber('85.07.30-033.28')).toBe(true);
    const base = '000125567';
    const check = String(97 - ((2_000_000_000 + Number(base)) % 97)).padStart(2, '0');
    expect(isValidNationalNumber(base + check)).toBe(true);
  });

  it('refuses a wrong check digit, letters or a wrong length', () => {
    expect(isValidNationalNumber('85073003329')).toBe(false);
    expect(isValidNationalNumber('8507300332')).toBe(false);
    expect(isValidNationalNumber('85O73003328')).toBe(false);
  });
});
