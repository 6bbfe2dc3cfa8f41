import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import type pg from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/**
 * An open database transaction as services see it: a handle they pass to repositories, which
 * alone build queries on it. Services never import TypeORM (checked by dependency-cruiser).
 */
export type Transaction = EntityManager;

/** A transaction the runner opened, with the pg connection it runs on (the pool runs pg's pipeline mode). */
interface OpenTransaction {
  client: pg.PoolClient;
  runner: QueryRunner;
  /** COMMIT has been sent (by finishWith): the runner neither commits nor rolls back. */
  ended: boolean;
  /** BEGIN is held in the socket's buffer until the work's first statement joins it (see run). */
  corked: boolean;
}

const opened = new WeakMap<EntityManager, OpenTransaction>();

/** The socket under a pooled pg client (pg keeps it as connection.stream). */
function socketOf(client: pg.PoolClient): { cork(): void; uncork(): void } | undefined {
  const stream = (client as unknown as { connection?: { stream?: { cork?: unknown; uncork?: unknown } } }).connection
    ?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as { cork(): void; uncork(): void })
    : undefined;
}

/**
 * Statements submitted inside `send` leave in ONE socket write. A write to the database's socket
 * is a system call that wakes PostgreSQL: on the 2-core machines measured it was a quarter of the
 * gateway's CPU per read, one per statement. Corked, BEGIN goes out with the first statement and
 * the log entry with COMMIT: two writes per logged read instead of four.
 */
function inOneWrite<T>(client: pg.PoolClient, send: () => T): T {
  const socket = socketOf(client);
  socket?.cork();
  try {
    return send();
  } finally {
    socket?.uncork();
  }
}

/** Lets BEGIN leave if it is still held (the work's first statement did not come through preparedQuery). */
function releaseBegin(open: OpenTransaction): void {
  if (!open.corked) return;
  open.corked = false;
  socketOf(open.client)?.uncork();
}

/** TypeORM's own bookkeeping of a transaction, set as its startTransaction() sets it. */
function markTransaction(runner: QueryRunner, active: boolean): void {
  const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
  state.isTransactionActive = active;
  state.transactionDepth = active ? 1 : 0;
}

/**
 * Runs work in one transaction; the access kernel and background jobs use it, services never query.
 *
 * Round trips: the pool's connections run in pg's pipeline mode, so BEGIN is written and the
 * work's first statement follows it on the wire without waiting for BEGIN's answer; and a work
 * whose last statement goes through `finishWith` sends it together with COMMIT. A logged read
 * (BEGIN, facts, log entry, COMMIT) costs two round trips instead of four. Statements on one
 * connection still run strictly in order, each in the transaction.
 */
@Injectable()
export class TransactionRunner {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    let open: OpenTransaction | undefined;
    try {
      const client = (await runner.connect()) as pg.PoolClient;
      // Submitted now, before the work can submit anything: BEGIN is first on this connection. It
      // stays in the socket's buffer until the work's first statement is submitted (preparedQuery)
      // so both leave in one write; if the work sends its first statement another way (or none),
      // the buffer is released when this turn of the event loop ends, so nothing can wait on it.
      const socket = socketOf(client);
      socket?.cork();
      const begun = client.query('BEGIN');
      begun.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
      markTransaction(runner, true);
      const current: OpenTransaction = { client, runner, ended: false, corked: socket !== undefined };
      open = current;
      opened.set(runner.manager, current);
      setImmediate(() => releaseBegin(current));
      const result = await work(runner.manager);
      releaseBegin(current);
      await begun;
      if (!open.ended) await runner.commitTransaction();
      return result;
    } catch (error) {
      if (open) releaseBegin(open);
      if (open && !open.ended && runner.isTransactionActive) {
        // The original error is the one to report, whatever the rollback does.
        await runner.rollbackTransaction().catch(() => undefined);
      }
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Outside any transaction (one statement per call, on a pooled connection). */
  get outside(): Transaction {
    return this.dataSource.manager;
  }
}

/**
 * Sends a transaction's last statement and its COMMIT together (one round trip) and returns the
 * statement's rows once both are answered. If the statement fails, PostgreSQL answers the COMMIT
 * with ROLLBACK: nothing is committed and the statement's error is thrown; a COMMIT that did not
 * commit throws too. So the caller sees success only when the statement and the transaction
 * committed. On a transaction the runner did not open (e.g. `dataSource.transaction`), it is an
 * ordinary statement and its runner commits as usual. Only repositories call this (it is SQL).
 */
export async function finishWith<R = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<R[]> {
  const open = opened.get(manager);
  if (!open || open.ended) return (await manager.query(sql, params)) as R[];
  open.ended = true;
  markTransaction(open.runner, false);
  // Both submitted synchronously, in this order, in one socket write: the statement runs in the
  // transaction, then COMMIT.
  const client = open.client;
  const [statement, commit] = inOneWrite(client, () => {
    const sent = [client.query(named(sql, params)), client.query('COMMIT')] as const;
    releaseBegin(open);
    return sent;
  });
  const [done, committed] = await Promise.allSettled([statement, commit]);
  if (done.status === 'rejected') throw done.reason;
  if (committed.status === 'rejected') throw committed.reason;
  if (committed.value.command !== 'COMMIT')
    throw new Error(`the transaction was not committed (PostgreSQL answered ${committed.value.command})`);
  return done.value.rows as R[];
}

/** Statement names by SQL text; a text never seen before gets one while there is room. */
const statementNames = new Map<string, string>();
const MAX_STATEMENT_NAMES = 200;

/**
 * A statement as pg sends it: named (prepared once per connection, then only bound and executed)
 * when its text has a name. PostgreSQL parses and plans a named statement once per connection and
 * reuses the plan (or a generic one after five runs), instead of parsing and planning a facts
 * query of a dozen subqueries for every request: that was most of PostgreSQL's CPU per read.
 * Only fixed texts should come here (a text built per request would use up the names).
 */
function named(sql: string, params: unknown[]): pg.QueryConfig {
  const text = known(sql);
  let name = statementNames.get(text);
  if (!name && statementNames.size < MAX_STATEMENT_NAMES) {
    name = `schakel_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
    statementNames.set(text, name);
    namedByLength.set(text.length, [...(namedByLength.get(text.length) ?? []), text]);
  }
  return name ? { name, text, values: params } : { text, values: params };
}

/** The named texts again, by length (see known). */
const namedByLength = new Map<number, string[]>();

/**
 * The named text equal to `sql`, if there is one: the very string the name was made for. A facts
 * query is composed from fragments on every call, a new 3 KB string each time; looking that up in
 * a map hashes all of it (~7 µs), while comparing it with the one named text of its length is a
 * tenth of that. With the same string in hand, the map finds it by its cached hash, and pg checks
 * a prepared statement's text against the one it parsed by identity.
 */
function known(sql: string): string {
  for (const text of namedByLength.get(sql.length) ?? []) if (text === sql) return text;
  return sql;
}

/**
 * Runs a fixed-text statement as a prepared statement on the transaction's connection (see
 * named()). On a transaction the runner did not open, or outside one, an ordinary statement.
 * Only repositories and facts call this (it is SQL).
 */
export async function preparedQuery<R = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<R[]> {
  const open = opened.get(manager);
  if (!open || open.ended) return (await manager.query(sql, params)) as R[];
  const client = open.client;
  // Joins a BEGIN still held in the socket's buffer: both leave in this one write.
  const sent = inOneWrite(client, () => {
    const query = client.query(named(sql, params));
    releaseBegin(open);
    return query;
  });
  return (await sent).rows as R[];
}
