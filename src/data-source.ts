import type { DataSource } from 'typeorm';
import type { AppConfig } from './config/config.js';
import { createDataSource as withEntities } from './database/data-source.js';
import { ENTITIES } from './entities.js';

/**
 * The gateway's DataSource: the data layer's options with the entity list of every capability.
 * A composition root, like app.module.ts: it is what lets src/database know no capability.
 */
export function createDataSource(
  url: string,
  config: Pick<AppConfig, 'database'>,
  applicationName?: string,
): DataSource {
  return withEntities(url, config, ENTITIES, applicationName);
}
