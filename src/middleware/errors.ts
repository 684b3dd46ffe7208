import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, type ErrorBody, type ErrorCode } from "../errors";
import type { Logger } from "../logger";
import type { AppEnv } from "../types";

const codeForStatus: Partial<Record<number, ErrorCode>> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
  503: "backend_unavailable",
  504: "query_timeout",
};

export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  const body: ErrorBody = { error: error.message, code: error.code, requestId: c.get("requestId") };
  if (error.details !== undefined) body.details = error.details;
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(body, error.status);
}

/** Hono's own exceptions (body limit, JWT …) become ApiErrors with the same status. */
function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 400 && error.message.startsWith("Malformed JSON")) {
      return new ApiError("invalid_json", "Request body is not valid JSON", { cause: error });
    }
    const code = codeForStatus[error.status] ?? "internal";
    const message = code === "internal" ? "Internal server error" : error.message || code;
    return new ApiError(code, message, { cause: error });
  }
  return new ApiError("internal", "Internal server error", { cause: error });
}

export function onError(logger: Logger): ErrorHandler<AppEnv> {
  return (error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      logger.error("request failed", {
        requestId: c.get("requestId"),
        code: apiError.code,
        error: apiError.cause ?? apiError,
      });
    }
    return errorResponse(c, apiError);
  };
}

export const notFound: NotFoundHandler<AppEnv> = (c) =>
  errorResponse(c, new ApiError("not_found", `No route for ${c.req.method} ${c.req.path}`));
