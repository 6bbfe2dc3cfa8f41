import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { IdempotencyRecord } from './idempotency-record.entity.js';

@Injectable()
export class IdempotencyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Claims the key; returns null when it was free, else the record that holds it. */
  async claim(
    partnerId: string,
    key: string,
    requestHash: string,
    retentionHours: number,
  ): Promise<IdempotencyRecord | null> {
    // Forget every expired key of this partner, not only this one: a record is kept for its
    // retention period and no longer (it holds a sealed answer with personal data).
    await this.dataSource.query(
      `DELETE FROM idempotency_record WHERE partner_id = $1 AND created_at < now() - make_interval(hours => $2)`,
      [partnerId, retentionHours],
    );
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO idempotency_record (partner_id, key, request_hash, state) VALUES ($1, $2, $3, 'in-progress')
       ON CONFLICT (partner_id, key) DO NOTHING RETURNING key`,
      [partnerId, key, requestHash],
    );
    if (inserted.length > 0) return null;
    return this.dataSource.getRepository(IdempotencyRecord).findOneBy({ partnerId, key });
  }

  /** Stores the first answer, already sealed by the caller. */
  async complete(partnerId: string, key: string, status: number, sealedBody: string): Promise<void> {
    await this.dataSource
      .getRepository(IdempotencyRecord)
      .update({ partnerId, key }, { state: 'completed', responseStatus: status, responseSealed: sealedBody });
  }

  async release(partnerId: string, key: string): Promise<void> {
    await this.dataSource.getRepository(IdempotencyRecord).delete({ partnerId, key, state: 'in-progress' });
  }
}
