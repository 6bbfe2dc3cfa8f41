import { describe, expect, it } from '@jest/globals';
import { IsUUID, Matches } from 'class-validator';
import { createValidationPipe } from './validation.js';
import { ProblemException } from '../problem/problem.js';

class UuidParams {
  @IsUUID()
  id!: string;
}

class SlugParams {
  @Matches(/^[a-z]+$/)
  id!: string;
}

const param = (metatype: new () => object) => ({ type: 'param' as const, metatype, data: undefined });

describe('the validation pipe on route parameters', () => {
  it('accepts the same parameters again as an instance of their class, each request its own copy', async () => {
    const pipe = createValidationPipe();
    const id = '0b7e7c2a-4f53-4d0e-9d59-6f1a3c0e8b11';
    const first = (await pipe.transform({ id }, param(UuidParams))) as UuidParams;
    const again = (await pipe.transform({ id }, param(UuidParams))) as UuidParams;
    expect(again).toBeInstanceOf(UuidParams);
    expect(again).toEqual(first);
    expect(again).not.toBe(first);
    again.id = 'changed';
    expect(((await pipe.transform({ id }, param(UuidParams))) as UuidParams).id).toBe(id);
  });

  it('refuses bad parameters every time with the same 400, also after accepting others', async () => {
    const pipe = createValidationPipe();
    await pipe.transform({ id: '0b7e7c2a-4f53-4d0e-9d59-6f1a3c0e8b11' }, param(UuidParams));
    for (let i = 0; i < 2; i++) {
      const refused = await pipe.transform({ id: 'not-a-uuid' }, param(UuidParams)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ProblemException);
      expect((refused as ProblemException).getStatus()).toBe(400);
    }
    // An unknown parameter is still refused (whitelisting), even beside a valid one.
    const extra = await pipe
      .transform({ id: '0b7e7c2a-4f53-4d0e-9d59-6f1a3c0e8b11', other: 'x' }, param(UuidParams))
      .catch((error: unknown) => error);
    expect(extra).toBeInstanceOf(ProblemException);
  });

  it('judges the same value by each class its own rules', async () => {
    const pipe = createValidationPipe();
    expect(await pipe.transform({ id: 'abc' }, param(SlugParams))).toBeInstanceOf(SlugParams);
    await expect(pipe.transform({ id: 'abc' }, param(UuidParams))).rejects.toBeInstanceOf(ProblemException);
  });
});
