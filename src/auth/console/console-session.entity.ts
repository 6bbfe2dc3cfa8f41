import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import type { Principal } from '../../access/principal.js';

/**
 * A person signed in to the console. The cookie holds a random id; only its SHA-256 is stored,
 * so reading this table opens no session. Over after an idle or an absolute time-out
 * (CONSOLE_SESSION_IDLE_MINUTES, CONSOLE_SESSION_MAX_HOURS), or at sign-out.
 */
@Entity({ name: 'console_session' })
@Index('console_session_last_seen_idx', ['lastSeenAt'])
export class ConsoleSession {
  @PrimaryColumn({ name: 'id_hash', type: 'char', length: 64, primaryKeyConstraintName: 'console_session_pkey' })
  idHash!: string;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  /** As mapped at sign-in from the ID token (partner, subject, roles, profession). */
  @Column({ type: 'jsonb' })
  principal!: Principal;

  /** The synchronizer token every state-changing console request must echo (X-CSRF-Token). */
  @Column({ name: 'csrf_token', type: 'varchar', length: 64 })
  csrfToken!: string;

  /** The ID token, sealed, for the IdP's end-session request (id_token_hint). */
  @Column({ name: 'id_token', type: 'text', nullable: true })
  idToken!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt!: Date;
}
