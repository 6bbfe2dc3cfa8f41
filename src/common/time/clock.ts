import { Injectable } from '@nestjs/common';

/**
 * The time jobs judge by (retention): the system clock, unless a test sets it. Injected, so a test
 * moves it years ahead through `app.get(Clock).set(...)` instead of waiting or faking timers.
 */
@Injectable()
export class Clock {
  private fixed: Date | null = null;

  now(): Date {
    return this.fixed ? new Date(this.fixed) : new Date();
  }

  /** Tests only: fix the time (null: back to the system clock). */
  set(at: Date | null): void {
    this.fixed = at ? new Date(at) : null;
  }
}

/** `P10Y`, `P6M`, `P30D`, `P1Y6M` (ISO 8601 date durations, as policies/purposes.yaml writes them) before `from`. */
export function before(from: Date, duration: string): Date {
  const match = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?$/.exec(duration);
  if (!match || duration === 'P') throw new Error(`not an ISO 8601 date duration: ${duration}`);
  const at = new Date(from);
  at.setUTCFullYear(at.getUTCFullYear() - Number(match[1] ?? 0));
  at.setUTCMonth(at.getUTCMonth() - Number(match[2] ?? 0));
  at.setUTCDate(at.getUTCDate() - Number(match[3] ?? 0));
  return at;
}

/** The longer of two ISO 8601 date durations. */
export function longer(a: string, b: string): string {
  const origin = new Date(Date.UTC(2000, 0, 1));
  return before(origin, a) <= before(origin, b) ? a : b;
}
