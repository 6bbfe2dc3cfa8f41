import { HttpException } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../database/database-errors.js';
import { PROBLEM_KINDS, ProblemException, problemOf, type ProblemDetails, type ProblemKind } from './problem.js';

export interface MappedError {
  problem: ProblemDetails;
  headers: Record<string, string>;
  /** Unexpected errors are logged as errors; expected client errors are not. */
  unexpected: boolean;
}

/** Fastify's own request errors (raised before a Nest handler runs) and what they mean to a caller. */
const FASTIFY_CODES: Record<string, { kind: ProblemKind; detail: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { kind: 'payload-too-large', detail: 'The request body exceeds the size limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    kind: 'unsupported-media-type',
    detail: 'Send JSON with Content-Type: application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    kind: 'malformed-request',
    detail: 'The Content-Length header does not match the body',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { kind: 'malformed-request', detail: 'The JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { kind: 'malformed-request', detail: 'The body is not valid JSON' },
  FST_ERR_BAD_URL: { kind: 'validation-failed', detail: 'The URL does not decode (malformed percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { kind: 'validation-failed', detail: 'A path parameter is too long' },
};

const STATUS_KINDS: Record<number, ProblemKind> = Object.fromEntries(
  Object.entries(PROBLEM_KINDS).map(([kind, { status }]) => [status, kind as ProblemKind]),
);
// Several kinds share a status; the generic one wins for plain HttpExceptions.
STATUS_KINDS[400] = 'validation-failed';
STATUS_KINDS[403] = 'forbidden';
STATUS_KINDS[422] = 'unprocessable';

/** Turns any thrown value into one problem+json body. Never copies SQL, stacks or inputs into it. */
export function mapError(error: unknown): MappedError {
  if (error instanceof ProblemException) {
    return { problem: error.toProblem(), headers: error.headers, unexpected: false };
  }
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  if (code && FASTIFY_CODES[code]) {
    const { kind, detail } = FASTIFY_CODES[code];
    return { problem: problemOf(kind, detail), headers: {}, unexpected: false };
  }
  if (error instanceof SyntaxError && (error as { statusCode?: number }).statusCode === 400) {
    return { problem: problemOf('malformed-request', 'The body is not valid JSON'), headers: {}, unexpected: false };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Nest re-throws fastify's body-parser failures as plain 400s; keep them distinguishable.
    if (status === 400 && /not valid JSON|Body cannot be empty|forbidden prototype property/.test(error.message)) {
      return { problem: problemOf('malformed-request', 'The body is not valid JSON'), headers: {}, unexpected: false };
    }
    const kind = STATUS_KINDS[status];
    if (kind) {
      const detail = status === 404 ? 'No such resource' : safeHttpDetail(error);
      return { problem: problemOf(kind, detail), headers: {}, unexpected: status >= 500 };
    }
    return {
      problem: { type: 'about:blank', title: error.message, status },
      headers: {},
      unexpected: status >= 500,
    };
  }
  const statusCode = (error as { statusCode?: unknown })?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && STATUS_KINDS[statusCode]) {
    return { problem: problemOf(STATUS_KINDS[statusCode]), headers: {}, unexpected: false };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      problem: problemOf(
        'service-unavailable',
        'The database is not reachable; nothing was read or changed. Try again shortly.',
      ),
      headers: { 'retry-after': '5' },
      unexpected: true,
    };
  }
  return {
    problem: problemOf('internal-error', 'An unexpected error occurred; it has been logged with the request id.'),
    headers: {},
    unexpected: true,
  };
}

function safeHttpDetail(error: HttpException): string | undefined {
  const response = error.getResponse();
  if (typeof response === 'object' && response && typeof (response as { message?: unknown }).message === 'string') {
    return (response as { message: string }).message;
  }
  return typeof response === 'string' ? response : undefined;
}
