import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** A trigger on `partner` notifies here after every committed change (migration PartnerChangeNotify). */
export const PARTNER_CHANGED_CHANNEL = 'partner_changed';
/** A writer asks every listening replica to confirm it has seen all changes committed so far... */
export const PARTNER_BARRIER_CHANNEL = 'partner_barrier';
/** ...and each answers here with `<barrier id>:<its server process id>`. */
export const PARTNER_BARRIER_ACK_CHANNEL = 'partner_barrier_ack';
/** The application_name of a replica's listening connection, set once it LISTENs (not before). */
export const PARTNER_LISTENER_APPLICATION = 'schakel-partner-listener';

export interface Propagation {
  /** Listening replicas that confirmed. */
  confirmed: number;
  /** Server process ids of listening connections that did not confirm in time (stuck, or a gateway gone without closing them). */
  unconfirmed: number[];
}

/** How often a waiting writer looks whether a silent listener's connection has gone away meanwhile. */
const RECHECK_MS = 100;

/**
 * Waits until every gateway replica listening for partner changes has seen all the changes
 * committed before this call, so a writer can say "refused at once" and mean it: a suspension
 * made through one replica (or the operator's command line) is answered only once every other
 * replica has dropped its in-memory registry. PostgreSQL delivers the notifications of one
 * listening session in commit order, so a replica that confirms the barrier has already handled
 * every change notified before it.
 *
 * A listener that does not confirm within `timeoutMs` is reported, not waited for forever: its
 * gateway declares the connection lost by its heartbeat and then asks the database.
 */
export async function awaitPartnerChangePropagation(
  connection: pg.ClientConfig,
  timeoutMs = 3000,
): Promise<Propagation> {
  const client = new pg.Client({ ...connection, application_name: 'schakel-partner-barrier' });
  await client.connect();
  try {
    const barrier = randomUUID();
    const confirmed = new Set<number>();
    let waiting = new Set<number>();
    let wake: () => void = () => undefined;
    client.on('notification', ({ channel, payload }) => {
      const [id, pid] = (payload ?? '').split(':');
      if (channel !== PARTNER_BARRIER_ACK_CHANNEL || id !== barrier) return;
      confirmed.add(Number(pid));
      waiting.delete(Number(pid));
      wake();
    });
    await client.query(`LISTEN ${PARTNER_BARRIER_ACK_CHANNEL}`);
    const listening = async () =>
      (
        await client.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
          [PARTNER_LISTENER_APPLICATION],
        )
      ).rows.map((row) => row.pid);
    // Listeners name themselves only after their LISTEN, so each one found here gets the barrier.
    waiting = new Set(await listening());
    if (waiting.size > 0) {
      await client.query('SELECT pg_notify($1, $2)', [PARTNER_BARRIER_CHANNEL, barrier]);
      const deadline = Date.now() + timeoutMs;
      while (waiting.size > 0 && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(RECHECK_MS, Math.max(0, deadline - Date.now())));
        });
        if (waiting.size === 0) break;
        // A connection that closed meanwhile (its gateway stopped, or lost it and asks the
        // database now) has nothing left to confirm.
        const alive = new Set(await listening());
        for (const pid of waiting) if (!alive.has(pid)) waiting.delete(pid);
      }
    }
    return { confirmed: confirmed.size, unconfirmed: [...waiting] };
  } finally {
    await client.end();
  }
}
