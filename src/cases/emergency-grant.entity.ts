import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Break-the-glass: a short, time-limited grant for the crisis purpose, always reviewed afterwards. */
@Entity({ name: 'emergency_grant' })
@Index('emergency_grant_case_idx', ['caseId', 'partnerId', 'userSub'])
export class EmergencyGrant {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ name: 'user_sub', type: 'varchar', length: 200 })
  userSub!: string;

  @Column({ name: 'justification_sealed', type: 'text' })
  justificationSealed!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
