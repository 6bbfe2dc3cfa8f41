import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { TokenVerifierService } from '../../src/auth/token-verifier.service.js';
import type { TestContext } from './test-context.js';

const current = new AsyncLocalStorage<string[]>();
let installed = false;

/**
 * Records the SQL a piece of work sends to PostgreSQL. Every statement of this process goes
 * through pg.Client#query (TypeORM's pool included); the ones issued in the async context of a
 * counted call are attributed to it, so background work (the log chainer, webhooks, another
 * gateway in the same process) does not blur the count.
 */
function install(): void {
  if (installed) return;
  installed = true;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string } | undefined;
    current.getStore()?.push(typeof first === 'string' ? first : (first?.text ?? String(first)));
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
}

/** The statements each authentication of this gateway issues from now on, one array per token verified. */
export function countAuthenticationStatements(ctx: TestContext): string[][] {
  install();
  const verifier = ctx.app.get(TokenVerifierService);
  const verify = verifier.verify.bind(verifier);
  const calls: string[][] = [];
  verifier.verify = (authorization) => {
    const statements: string[] = [];
    calls.push(statements);
    return current.run(statements, () => verify(authorization));
  };
  return calls;
}
