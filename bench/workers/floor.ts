import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { reply, runMain, workerInput } from '../support/processes.js';
import type { CpuWatch } from '../support/cpu.js';
import { socketOf } from '../support/replay.js';
import { closedLoop, type RowLength } from '../support/stats.js';

export interface FloorInput {
  caseId: string;
  clients: number;
  length: RowLength;
  /** A table made LIKE access_log_entry (same columns, defaults and indexes; no chain trigger). */
  logTable: string;
  /**
   * Sent as the gateway sends a logged read (pg pipeline mode): BEGIN with the SELECT, the INSERT
   * with COMMIT — two round trips instead of four, the same four statements.
   */
  pipelined?: boolean;
  /** PostgreSQL's CPU is counted (see cpu.ts). */
  cpu?: CpuWatch;
}

/**
 * The database floor: what one logged read must at least do, straight through `pg` from its own
 * process — per transaction, SELECT the case row and INSERT one access-log-shaped row. One
 * connection per client, each sending its next transaction when the last one committed.
 */
runMain(async () => {
  const input = workerInput<FloorInput>();
  const clients = await Promise.all(
    Array.from({ length: input.clients }, async () => {
      const client = new pg.Client({
        connectionString: process.env.DATABASE_URL,
        application_name: 'bench-floor',
        pipeline: input.pipelined ?? false,
      } as pg.ClientConfig);
      await client.connect();
      return client;
    }),
  );
  // The entry row as the gateway writes it (its terms kept once elsewhere: one id here).
  const insert = `INSERT INTO ${input.logTable} (id, occurred_at, request_id, partner_id, user_sub, resource_id, client_ref,
      custodian_partner_id, purpose, consent_id, disclosure_sha256, entry_hash, consent_ids, agreement_id, grant_id, terms_id)
    VALUES ($1,$2,$3,$4,$5,$6,decode($7,'hex'),$8,$9,$10,decode($11,'hex'),decode($12,'hex'),$13,$14,$15,$16)
    RETURNING seq`;
  const pseudonym = createHash('sha256').update('bench-client').digest('hex');
  let n = 0;
  const measurement = await closedLoop(
    input.clients,
    input.length,
    async (loop) => {
      const client = clients[loop];
      const id = randomUUID();
      const values = [
        id,
        new Date(),
        `bench-floor-${n++}`,
        'bench-outreach',
        'bench-caseworker',
        input.caseId,
        pseudonym,
        'bench-outreach',
        'care-coordination',
        null,
        createHash('sha256').update(id).digest('hex'),
        createHash('sha256').update(`entry-${id}`).digest('hex'),
        [randomUUID()],
        null,
        null,
        1,
      ];
      try {
        if (input.pipelined) {
          // As the gateway sends them: each pair in one socket write.
          const socket = socketOf(client);
          socket.cork();
          const first = Promise.all([
            client.query('BEGIN'),
            client.query('SELECT * FROM care_case WHERE id = $1', [input.caseId]),
          ]);
          socket.uncork();
          await first;
          socket.cork();
          const second = Promise.all([client.query(insert, values), client.query('COMMIT')]);
          socket.uncork();
          const [, commit] = await second;
          if (commit.command !== 'COMMIT') throw new Error(`floor transaction not committed (${commit.command})`);
        } else {
          await client.query('BEGIN');
          await client.query('SELECT * FROM care_case WHERE id = $1', [input.caseId]);
          await client.query(insert, values);
          await client.query('COMMIT');
        }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    input.cpu,
  );
  await Promise.all(clients.map((client) => client.end()));
  reply(measurement);
});
