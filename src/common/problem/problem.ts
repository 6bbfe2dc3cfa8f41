import { HttpException } from '@nestjs/common';

/** One bad field, located by a JSON pointer (RFC 6901) into the request. */
export interface FieldError {
  pointer: string;
  detail: string;
}

/** RFC 9457 problem details, as every error of the gateway is returned. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'https://schakel.example/problems/';

/**
 * The closed list of problem kinds. Each has a stable `type` URI that integrators can switch on;
 * the `detail` explains the specific case without echoing personal data or secrets.
 */
export const PROBLEM_KINDS = {
  'validation-failed': { status: 400, title: 'The request is not valid' },
  'malformed-request': { status: 400, title: 'The request body could not be read' },
  'purpose-required': { status: 400, title: 'A purpose is required' },
  'unknown-purpose': { status: 400, title: 'Unknown purpose' },
  unauthenticated: { status: 401, title: 'Authentication failed' },
  forbidden: { status: 403, title: 'Not permitted' },
  'purpose-not-permitted': { status: 403, title: 'Purpose not permitted for this role' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused with another request' },
  unprocessable: { status: 422, title: 'The request cannot be processed' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'internal-error': { status: 500, title: 'Internal error' },
  'service-unavailable': { status: 503, title: 'Service temporarily unavailable' },
  'access-log-unavailable': { status: 503, title: 'The access log cannot be written' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEM_KINDS;

export function problemType(kind: ProblemKind): string {
  return TYPE_BASE + kind;
}

/** Throw this anywhere to answer with a problem+json body of a known kind. */
export class ProblemException extends HttpException {
  constructor(
    readonly kind: ProblemKind,
    readonly detail?: string,
    readonly extensions: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? PROBLEM_KINDS[kind].title, PROBLEM_KINDS[kind].status);
  }

  toProblem(): ProblemDetails {
    const { status, title } = PROBLEM_KINDS[this.kind];
    return {
      type: problemType(this.kind),
      title,
      status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...this.extensions,
    };
  }
}

export function problemOf(
  kind: ProblemKind,
  detail?: string,
  extensions: Record<string, unknown> = {},
): ProblemDetails {
  return new ProblemException(kind, detail, extensions).toProblem();
}
