import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * An open database transaction as services see it: a handle they pass to repositories, which
 * alone build queries on it. Services never import TypeORM (checked by dependency-cruiser).
 */
export type Transaction = EntityManager;

/** Runs work in one transaction; the access kernel and background jobs use it, services never query. */
@Injectable()
export class TransactionRunner {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Outside any transaction (one statement per call, on a pooled connection). */
  get outside(): Transaction {
    return this.dataSource.manager;
  }
}
