import { Global, Module } from '@nestjs/common';
import { TransactionRunner } from './transaction.js';

/** The data layer's shared plumbing (the transaction runner), for every module. */
@Global()
@Module({ providers: [TransactionRunner], exports: [TransactionRunner] })
export class DatabaseModule {}
