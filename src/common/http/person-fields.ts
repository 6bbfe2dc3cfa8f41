import { registerDecorator } from 'class-validator';
import { isValidNationalNumber } from '../crypto/national-number.js';

/** A phone number as people write it (+32 2 555 01 00, 02/555.01.00): digits and separators. */
export const PHONE = /^\+?[0-9 ().-]{6,20}$/;

/**
 * A Belgian national register number with valid check digits. With `nullable`, null is accepted
 * too (a correction that removes a wrongly recorded number).
 */
export function IsNationalNumber(options: { nullable?: boolean } = {}): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isNationalNumber',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) =>
          (options.nullable === true && value === null) || (typeof value === 'string' && isValidNationalNumber(value)),
        defaultMessage: () => 'nationalNumber is not a valid Belgian national register number (check digits)',
      },
    });
}
