import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * The statements one secure case read really sends to PostgreSQL, as the trace worker captured
 * them from the gateway's own pg connections, and how the bare handler replays them. Captured at
 * every bench run, never written down by hand: when the read's queries change (fewer round
 * trips, other SQL), the bare handler follows.
 */

/** A value as pg received it; dates and bytes are tagged so they survive JSON. */
export type TracedValue = null | string | number | boolean | TracedValue[] | { $date: string } | { $bytes: string };

export interface TracedStatement {
  /** Which pg connection sent it (1, 2, … in order of first use): a transaction stays on one. */
  connection: number;
  text: string;
  values: TracedValue[];
  /** Its answer, kept only to tell ids the read found from ids it made up (see plan()). */
  rowsJson: string;
  /** Sent as a named (prepared) statement: the replay prepares it too. */
  prepared?: boolean;
}

export interface SecureReadTrace {
  caseId: string;
  statements: TracedStatement[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BEGIN = /^\s*(START TRANSACTION|BEGIN)\b/i;
const END = /^\s*(COMMIT|ROLLBACK)\b/i;
/** A write, also inside a CTE (`WITH entry AS (INSERT …)`, as the log entry is written). */
const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b|\bAS\s*\(\s*(INSERT|UPDATE|DELETE)\b/i;

export function encodeValue(value: unknown): TracedValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('base64') };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

function decodeValue(value: TracedValue): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  if ('$date' in value) return new Date(value.$date);
  return Buffer.from(value.$bytes, 'base64');
}

/** Where a replayed value comes from, when it is not the captured one. */
export type Binding =
  | { at: number; kind: 'case-id' }
  /** Made up by the read (e.g. the log entry's id, unique): a new UUID at every replay. */
  | { at: number; kind: 'fresh-uuid' }
  /** Taken from an earlier answer (e.g. the log entry's seq from INSERT … RETURNING): taken from that answer again. */
  | { at: number; kind: 'result'; statement: number; row: number; column: string };

export interface PlannedStatement {
  connection: number;
  /** Set for a statement the read sent prepared: the replay sends it under this name. */
  name?: string;
  text: string;
  values: unknown[];
  bindings: Binding[];
}

/** The latest earlier answer holding this value: [statement, row, column]. */
function foundIn(answers: Record<string, unknown>[][], value: string): [number, number, string] | undefined {
  for (let s = answers.length - 1; s >= 0; s--)
    for (let r = 0; r < answers[s].length; r++)
      for (const [column, cell] of Object.entries(answers[s][r])) if (cell === value) return [s, r, column];
  return undefined;
}

/**
 * Which captured values change at replay: the case id is the one asked for; a string the read
 * took from an earlier answer is taken from the replay's own answer (the same row in steady
 * state, but a new log entry's seq is new); a write's UUID found nowhere before was made up by
 * the read and is made up again. Everything else is sent as captured.
 */
export function plan(trace: SecureReadTrace): PlannedStatement[] {
  const answers: Record<string, unknown>[][] = [];
  const earlierValues: string[] = [];
  return trace.statements.map((statement, index) => {
    const bindings: Binding[] = [];
    statement.values.forEach((value, at) => {
      if (value === trace.caseId) return bindings.push({ at, kind: 'case-id' });
      if (typeof value !== 'string' || earlierValues.includes(value)) return;
      const found = foundIn(answers, value);
      if (found) return bindings.push({ at, kind: 'result', statement: found[0], row: found[1], column: found[2] });
      if (
        WRITE.test(statement.text) &&
        UUID.test(value) &&
        !answers.some((rows) => JSON.stringify(rows).includes(value))
      )
        bindings.push({ at, kind: 'fresh-uuid' });
    });
    for (const value of statement.values) if (typeof value === 'string') earlierValues.push(value);
    answers.push(JSON.parse(statement.rowsJson) as Record<string, unknown>[]);
    return {
      connection: statement.connection,
      ...(statement.prepared ? { name: `bench_replay_${index}` } : {}),
      text: statement.text,
      values: statement.values.map(decodeValue),
      bindings,
    };
  });
}

/**
 * Sends the planned statements in order: a transaction on one pooled connection from its BEGIN to
 * its COMMIT, anything outside a transaction on whichever pooled connection is free (as TypeORM
 * does), pipelined as the gateway pipelines them (BEGIN with the next statement, the last with
 * COMMIT; the pool must run pg's pipeline mode). Returns the rows of the first statement that
 * read the case.
 */
export async function replay(pool: pg.Pool, statements: PlannedStatement[], caseId: string): Promise<unknown[]> {
  const held = new Map<number, pg.PoolClient>();
  const begun = new Map<number, Promise<unknown>>();
  const answers: Record<string, unknown>[][] = [];
  /** Connections whose BEGIN waits in the socket's buffer for the next statement. */
  const corked = new Set<pg.PoolClient>();
  const release = (client: pg.PoolClient) => {
    if (corked.delete(client)) socketOf(client).uncork();
  };
  let caseRows: unknown[] | undefined;
  const valuesOf = (statement: PlannedStatement) => {
    const values = statement.values.slice();
    for (const binding of statement.bindings) {
      if (binding.kind === 'case-id') values[binding.at] = caseId;
      else if (binding.kind === 'fresh-uuid') values[binding.at] = randomUUID();
      else values[binding.at] = answers[binding.statement][binding.row]?.[binding.column] ?? values[binding.at];
    }
    return values;
  };
  try {
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i];
      const values = valuesOf(statement);
      let client = held.get(statement.connection);
      if (!client && BEGIN.test(statement.text)) {
        client = await pool.connect();
        held.set(statement.connection, client);
        // As the gateway's TransactionRunner sends it (pg pipeline mode): BEGIN goes out with the
        // next statement, in the same socket write, without waiting for its answer.
        corked.add(client);
        socketOf(client).cork();
        const sent = client.query(statement.text, values);
        sent.catch(() => undefined);
        begun.set(statement.connection, sent);
        answers.push([]);
        continue;
      }
      const next = statements[i + 1];
      let result: pg.QueryResult;
      if (client && next?.connection === statement.connection && END.test(next.text) && !END.test(statement.text)) {
        // As finishWith: a transaction's last statement goes out with its COMMIT, in one write.
        socketOf(client).cork();
        const sending = Promise.all([client.query(config(statement, values)), client.query(next.text)]);
        release(client);
        socketOf(client).uncork();
        const [last, end] = await sending;
        await begun.get(statement.connection);
        answers.push(last.rows as Record<string, unknown>[]);
        if (/^\s*COMMIT/i.test(next.text) && end.command !== 'COMMIT')
          throw new Error(`replayed transaction not committed (${end.command})`);
        result = last;
        i += 1;
        answers.push([]);
        held.delete(statement.connection);
        client.release();
      } else {
        const sending = client ? client.query(config(statement, values)) : pool.query(config(statement, values));
        if (client) release(client);
        result = await sending;
        answers.push(result.rows as Record<string, unknown>[]);
        if (client && END.test(statement.text)) {
          await begun.get(statement.connection);
          held.delete(statement.connection);
          client.release();
        }
      }
      if (
        !caseRows &&
        statement.bindings.some((b) => b.kind === 'case-id') &&
        /^\s*SELECT\b|^\s*WITH\b/i.test(statement.text)
      )
        caseRows = result.rows;
    }
  } finally {
    for (const client of held.values()) {
      release(client);
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }
  return caseRows ?? [];
}

/** The socket under a pg client, to send several statements in one write as the gateway does. */
export function socketOf(client: pg.ClientBase): { cork(): void; uncork(): void } {
  return (client as unknown as { connection: { stream: { cork(): void; uncork(): void } } }).connection.stream;
}

function config(statement: PlannedStatement, values: unknown[]): pg.QueryConfig {
  return statement.name ? { name: statement.name, text: statement.text, values } : { text: statement.text, values };
}

/** Round trips, and how many of them run inside a transaction (BEGIN and COMMIT included). */
export function describeTrace(trace: SecureReadTrace): { statements: number; inTransaction: number } {
  let inTransaction = 0;
  const open = new Set<number>();
  for (const statement of trace.statements) {
    if (BEGIN.test(statement.text)) open.add(statement.connection);
    if (open.has(statement.connection)) inTransaction += 1;
    if (END.test(statement.text)) open.delete(statement.connection);
  }
  return { statements: trace.statements.length, inTransaction };
}
