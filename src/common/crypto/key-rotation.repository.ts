import type { DataSource } from 'typeorm';
import { SEALED_COLUMNS } from '../../database/sealed-columns.js';
import type { FieldCipher } from './field-cipher.js';

/**
 * Re-seals every value that is not under the active key, in batches of one transaction each,
 * so old keys can be retired. Safe to interrupt and run again.
 */
export async function rotateSealedValues(
  dataSource: DataSource,
  cipher: FieldCipher,
  batch = 500,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { table, columns, key = ['id'] } of SEALED_COLUMNS) {
    counts[table] = 0;
    const stale = columns.map((c) => `(${c} IS NOT NULL AND split_part(${c}, '.', 2) <> $1)`).join(' OR ');
    const match = key.map((k, i) => `${k} = $${i + 1}`).join(' AND ');
    for (;;) {
      const done = await dataSource.transaction(async (manager) => {
        const rows: Record<string, string | null>[] = await manager.query(
          `SELECT ${key.join(', ')}, ${columns.join(', ')} FROM ${table} WHERE ${stale} LIMIT ${batch} FOR UPDATE`,
          [cipher.activeKid],
        );
        for (const row of rows) {
          const values = columns.map((c) =>
            row[c] && cipher.kidOf(row[c]!) !== cipher.activeKid ? cipher.seal(cipher.open(row[c]!)) : row[c],
          );
          await manager.query(
            `UPDATE ${table} SET ${columns.map((c, i) => `${c} = $${i + key.length + 1}`).join(', ')} WHERE ${match}`,
            [...key.map((k) => row[k]), ...values],
          );
        }
        return rows.length;
      });
      counts[table] += done;
      if (done < batch) break;
    }
  }
  return counts;
}
