/** Stable error codes that clients may switch on; each maps to exactly one HTTP status. */
export const errorStatus = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  query_failed: 400,
  query_too_large: 400,
  too_many_rows: 400,
  query_cancelled: 400,
  unauthorized: 401,
  forbidden: 403,
  query_forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  backend_unavailable: 503,
  queue_full: 503,
  query_timeout: 504,
} as const;

export type ErrorCode = keyof typeof errorStatus;
export type ErrorStatus = (typeof errorStatus)[ErrorCode];

export interface ErrorBody {
  error: string;
  code: ErrorCode;
  requestId: string;
  details?: unknown;
}

/**
 * The one error type that crosses the HTTP edge. Services throw it (or their own errors, which the
 * edge maps); the message is always safe to show to a client, the cause never is.
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): ErrorStatus {
    return errorStatus[this.code];
  }
}
