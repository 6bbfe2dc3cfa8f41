/**
 * The access log's verifier, on its own: no NestJS, no database, only `jose` and node:crypto. A
 * partner or an auditor can run it with the key set from /.well-known/jwks.json.
 */
export * from './merkle.js';
export * from './signed.js';
export * from './entry.js';
export * from './log.js';
export * from './drive.js';
export * from './receipt.js';
export { verifyExport } from './export-file.js';
