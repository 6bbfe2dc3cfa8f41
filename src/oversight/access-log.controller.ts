import { Controller, Get, Headers, Inject, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Access, type AccessContext } from '../access/access-context.js';
import { Authorize } from '../access/decorators.js';
import { FHIR_JSON, FHIR_NDJSON, preferredFhirMediaType } from '../common/fhir/bundle.js';
import { guardedStream } from '../common/http/guarded-stream.js';
import { PageQuery } from '../common/http/pagination.js';
import { APP_LOGGER } from '../common/logging/logger.js';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import {
  AccessLogSearchService,
  EXPORT_REPRESENTATIONS,
  type ExportRepresentation,
} from './access-log-search.service.js';
import { AccessLogPage, AccessLogQuery, ExportQuery } from './dto/access-log.dto.js';

const INCOMPLETE = 'The export stopped before its end: this file is incomplete. Export again.';

/** The last line of a line-delimited export that failed half-way (CSV and a Bundle have no place for one). */
const FAILURE_LINES: Partial<Record<ExportRepresentation, (requestId: string) => string>> = {
  ndjson: (requestId) =>
    `${JSON.stringify({ type: 'error', error: 'export-incomplete', detail: INCOMPLETE, requestId })}\n`,
  // FHIR Bulk Data reports errors as OperationOutcome resources.
  'fhir-ndjson': (requestId) =>
    `${JSON.stringify({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'fatal', code: 'incomplete', diagnostics: `${INCOMPLETE} Request id ${requestId}.` }],
    })}\n`,
};

/** The privacy officer's side of the access log: search, export, verify (the log itself lives in access-log/). */
@ApiTags('access-log')
@Controller('v1/access-log')
export class AccessLogController {
  constructor(
    private readonly review: AccessLogSearchService,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  @Authorize('read', 'AccessLogEntry')
  @ApiOperation({ summary: 'Search the access log (privacy officers), newest first; this search is itself logged' })
  @ApiOkResponse({ type: AccessLogPage })
  list(@Access() access: AccessContext, @Query() query: AccessLogQuery): Promise<AccessLogPage> {
    return this.review.list(access, query);
  }

  @Get('export')
  @Authorize('export', 'AccessLogEntry')
  @ApiOperation({
    summary:
      'Export the access log, streamed, oldest first; NDJSON ends with the last signed checkpoint. ' +
      'format=fhir: FHIR R4 AuditEvents, one per line (application/fhir+ndjson), or one collection Bundle with Accept: application/fhir+json',
  })
  @ApiProduces('application/x-ndjson', 'text/csv', FHIR_NDJSON, FHIR_JSON)
  @ApiOkResponse({
    description: 'A streamed file; FHIR: R4 AuditEvents, one per line, or one Bundle of type collection',
    schema: { type: 'string', format: 'binary' },
  })
  async export(
    @Access() access: AccessContext,
    @Query() query: ExportQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StreamableFile> {
    const as: ExportRepresentation =
      query.format !== 'fhir'
        ? query.format
        : preferredFhirMediaType(accept, FHIR_NDJSON) === FHIR_JSON
          ? 'fhir-bundle'
          : 'fhir-ndjson';
    // A query failing half-way must not end as a short file behind a 200 (see guardedStream).
    const stream = await guardedStream(await this.review.export(access, query, as), {
      response: reply.raw,
      requestId: String(reply.request.id),
      logger: this.logger,
      what: `access-log export (${as})`,
      errorLine: FAILURE_LINES[as],
    });
    const { contentType, extension } = EXPORT_REPRESENTATIONS[as];
    return new StreamableFile(stream, {
      type: contentType,
      disposition: `attachment; filename="access-log.${extension}"`,
    });
  }

  @Get('verify')
  @Authorize('verify', 'AccessLogEntry')
  @ApiOperation({ summary: 'Check the integrity of the whole log: hash chain, entries and signed checkpoints' })
  @ApiOkResponse({
    schema: {
      example: {
        ok: true,
        entries: 1200,
        brokenAt: null,
        problem: null,
        head: { position: '1200', hash: '…' },
        lastCheckpoint: null,
        pending: 0,
      },
    },
  })
  verify(@Access() access: AccessContext) {
    return this.review.verify(access);
  }

  @Get('checkpoints')
  @Authorize('verify', 'AccessLogEntry')
  @ApiOperation({
    summary: 'Signed checkpoints of the chain head, newest first (JWS, EdDSA; key at /.well-known/jwks.json)',
  })
  checkpoints(@Query() query: PageQuery) {
    return this.review.checkpoints(query.limit ?? 50, query.cursor);
  }
}
