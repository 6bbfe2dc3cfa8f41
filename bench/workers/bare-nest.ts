import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Controller, Get, Inject, Module, Param } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { AccessLogRepository } from '../../src/access-log/access-log.repository.js';
import { ChainService } from '../../src/access-log/chain.service.js';
import { loadGatewayKeys } from '../../src/access-log/gateway-keys.js';
import { createLogger } from '../../src/common/logging/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataSource } from '../../src/data-source.js';
import { runMain } from '../support/processes.js';
import { plan, replay, type PlannedStatement, type SecureReadTrace } from '../support/replay.js';

/**
 * The bare NestJS (Fastify) handler: `GET /bare/cases/:id` sends exactly the statements a secure
 * case read sends (captured by the trace worker at this bench run: its facts and data queries and
 * its log insert, in one transaction), on a pool of the gateway's size, with no authentication,
 * policy, projection or sealing. The gateway's log chainer runs beside it, as in the gateway, so
 * the only difference from the secure read is everything that is not data work.
 *
 * Usage: node bare-nest.js <port> <trace.json>; the database comes from DATABASE_URL.
 */
const POOL = Symbol('POOL');
const PLAN = Symbol('PLAN');

@Controller('bare')
class BareController {
  constructor(
    @Inject(POOL) private readonly pool: pg.Pool,
    @Inject(PLAN) private readonly statements: PlannedStatement[],
  ) {}

  @Get('ready')
  ready(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('cases/:id')
  async read(@Param('id') id: string): Promise<unknown> {
    try {
      const rows = await replay(this.pool, this.statements, id);
      return rows[0] ?? {};
    } catch (error) {
      // Into bench/results/bare-nest.log: a replay that fails must say why.
      process.stderr.write(`bare-nest replay failed: ${error instanceof Error ? error.message : String(error)}\n`);
      throw error;
    }
  }
}

runMain(async () => {
  const [port, traceFile] = process.argv.slice(2);
  const config = loadConfig();
  const trace = JSON.parse(readFileSync(traceFile, 'utf8')) as SecureReadTrace;
  const pool = new pg.Pool({
    connectionString: config.databaseUrl!,
    max: config.database.poolSize,
    connectionTimeoutMillis: config.database.connectionTimeoutMs,
    statement_timeout: config.database.statementTimeoutMs,
    // As the gateway's pool (src/database/data-source.ts): the replay pipelines as the gateway does.
    pipeline: true,
  } as pg.PoolConfig);

  @Module({
    controllers: [BareController],
    providers: [
      { provide: POOL, useValue: pool },
      { provide: PLAN, useValue: plan(trace) },
    ],
  })
  class BareModule {}

  const logger = createLogger('warn');
  const dataSource = createDataSource(
    config.databaseUrl!,
    { database: { ...config.database, poolSize: 2 } },
    'bench-bare-chainer',
  );
  await dataSource.initialize();
  const chain = new ChainService(new AccessLogRepository(dataSource), await loadGatewayKeys(config), config, logger);
  chain.onApplicationBootstrap();

  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter({ logger: false }), {
    logger: false,
  });
  await app.listen({ port: Number(port), host: '127.0.0.1' });
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await app.close();
  await chain.onApplicationShutdown();
  await dataSource.destroy();
  await pool.end();
});
