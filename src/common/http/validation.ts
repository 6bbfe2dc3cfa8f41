import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException, type FieldError } from '../problem/problem.js';

/** Escapes one JSON pointer segment (RFC 6901). */
function segment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Flattens class-validator's error tree into JSON pointers, without echoing the rejected values. */
export function toFieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const pointer = `${prefix}/${segment(String(error.property))}`;
    for (const message of Object.values(error.constraints ?? {})) {
      out.push({ pointer, detail: message });
    }
    if (error.children?.length) out.push(...toFieldErrors(error.children, pointer));
  }
  return out;
}

/**
 * Whitelisting pipe that rejects unknown fields (they are never silently dropped or stored)
 * and answers 400 problem+json with one entry per bad field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    stopAtFirstError: false,
    exceptionFactory: (errors) =>
      new ProblemException('validation-failed', 'One or more fields are not valid; see errors[]', {
        errors: toFieldErrors(errors),
      }),
  });
}
