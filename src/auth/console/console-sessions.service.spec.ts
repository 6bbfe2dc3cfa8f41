import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../config/config.js';
import { ConsoleSessionsService, cookieValue } from './console-sessions.service.js';

describe('console session cookies', () => {
  // A development configuration with the environment and public URL under test (a full
  // production configuration needs keys this check does not).
  const service = (env: { NODE_ENV: 'production' | 'development'; PUBLIC_URL?: string }) =>
    new ConsoleSessionsService(
      {
        ...loadConfig({ PUBLIC_URL: env.PUBLIC_URL ?? '' }),
        nodeEnv: env.NODE_ENV,
        ...(env.PUBLIC_URL ? { publicUrl: env.PUBLIC_URL } : {}),
      },
      {} as never,
      {} as never,
      {} as never,
      {} as never,
    );

  it('are Secure and __Host- prefixed in production, httpOnly and SameSite=Lax always', () => {
    const production = service({ NODE_ENV: 'production', PUBLIC_URL: 'https://schakel.example' });
    expect(production.cookieName).toBe('__Host-schakel_session');
    expect(production.cookie(production.cookieName, 'abc', { path: '/' })).toBe(
      '__Host-schakel_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure',
    );
    expect(production.ownOrigin({ headers: { host: 'evil.example' } } as never)).toBe('https://schakel.example');
    const development = service({ NODE_ENV: 'development' });
    expect(development.cookie(development.cookieName, 'abc', { path: '/' })).toBe(
      'schakel_session=abc; Path=/; HttpOnly; SameSite=Lax',
    );
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(cookieValue('a=1; schakel_session=xyz; b=2', 'schakel_session')).toBe('xyz');
    expect(cookieValue('schakel_session_other=1', 'schakel_session')).toBeUndefined();
    expect(cookieValue(undefined, 'schakel_session')).toBeUndefined();
  });
});
