import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../access/principal.js';

export interface LiveSession {
  partnerId: string;
  principal: Principal;
  csrfToken: string;
}

/** The only SQL on console_session. */
@Injectable()
export class ConsoleSessionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * A new session; the one the browser held before (if any) is deleted in the same statement, so
   * signing in always rotates the id. Expired sessions are swept at the same time.
   */
  async create(
    row: { idHash: string; partnerId: string; principal: Principal; csrfToken: string; idToken: string | null },
    replaces: string | null,
    limits: { idleMinutes: number; maxHours: number },
  ): Promise<void> {
    // A CTE of a DELETE with an INSERT: TypeORM answers with the INSERT's rows.
    await this.dataSource.query(
      `WITH gone AS (
         DELETE FROM console_session
          WHERE id_hash = $6
             OR last_seen_at < now() - make_interval(mins => $7)
             OR created_at < now() - make_interval(hours => $8))
       INSERT INTO console_session (id_hash, partner_id, principal, csrf_token, id_token)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        row.idHash,
        row.partnerId,
        JSON.stringify(row.principal),
        row.csrfToken,
        row.idToken,
        replaces ?? '',
        limits.idleMinutes,
        limits.maxHours,
      ],
    );
  }

  /** The session if it is still live, marking it used now (one statement); null when over. */
  async touch(idHash: string, limits: { idleMinutes: number; maxHours: number }): Promise<LiveSession | null> {
    const [rows]: [{ partner_id: string; principal: Principal; csrf_token: string }[], number] =
      await this.dataSource.query(
        `UPDATE console_session SET last_seen_at = now()
        WHERE id_hash = $1
          AND last_seen_at >= now() - make_interval(mins => $2)
          AND created_at >= now() - make_interval(hours => $3)
       RETURNING partner_id, principal, csrf_token`,
        [idHash, limits.idleMinutes, limits.maxHours],
      );
    const row = rows[0];
    return row ? { partnerId: row.partner_id, principal: row.principal, csrfToken: row.csrf_token } : null;
  }

  /** Ends the session; returns what the IdP's end-session request needs. */
  async remove(idHash: string): Promise<{ partnerId: string; idToken: string | null } | null> {
    const [rows]: [{ partner_id: string; id_token: string | null }[], number] = await this.dataSource.query(
      'DELETE FROM console_session WHERE id_hash = $1 RETURNING partner_id, id_token',
      [idHash],
    );
    const row = rows[0];
    return row ? { partnerId: row.partner_id, idToken: row.id_token } : null;
  }

  /** Whether a session exists at all (tests and operations). */
  async exists(idHash: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query('SELECT 1 FROM console_session WHERE id_hash = $1', [idHash]);
    return rows.length > 0;
  }
}
