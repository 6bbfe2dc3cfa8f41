/** Offline verification of an NDJSON export: the standalone verifier's (src/access-log/verify/, no NestJS). */
export { verifyExport as verifyExportFile } from './verify/export-file.js';
export type { LogReport as VerifyReport } from './verify/log.js';
