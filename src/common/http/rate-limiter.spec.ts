import { describe, expect, it } from '@jest/globals';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('lets a partner make its quota of requests per window and refuses the next with a wait time', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(3, 60_000, () => now);
    expect([limiter.hit('a'), limiter.hit('a'), limiter.hit('a')]).toEqual([0, 0, 0]);
    now += 15_000;
    expect(limiter.hit('a')).toBe(45);
  });

  it('counts partners separately, so one busy partner does not block another', () => {
    const limiter = new RateLimiter(1, 60_000, () => 0);
    expect(limiter.hit('a')).toBe(0);
    expect(limiter.hit('a')).toBeGreaterThan(0);
    expect(limiter.hit('b')).toBe(0);
  });

  it('starts a fresh window once the previous one has passed', () => {
    let now = 0;
    const limiter = new RateLimiter(1, 60_000, () => now);
    limiter.hit('a');
    expect(limiter.hit('a')).toBeGreaterThan(0);
    now = 60_000;
    expect(limiter.hit('a')).toBe(0);
  });
});
