import { ClickHouseError } from "@clickhouse/client-web";
import { ApiError, type ErrorCode } from "../errors";

export const cancelled = () =>
  new ApiError("query_cancelled", "The client closed the request before the query finished");

export const timedOut = (seconds: number) =>
  new ApiError("query_timeout", `The query did not finish within ${seconds} s`);

export const unavailable = (cause: unknown) =>
  new ApiError("backend_unavailable", "ClickHouse is not available; try again shortly", { cause });

/** ClickHouse error codes that are not "your SQL is wrong" (400), by the API code they become. */
const codeFor: Record<number, ErrorCode> = {
  159: "query_timeout", // TIMEOUT_EXCEEDED
  160: "query_timeout", // TOO_SLOW
  396: "too_many_rows", // TOO_MANY_ROWS_OR_BYTES
  164: "query_forbidden", // READONLY
  291: "query_forbidden", // DATABASE_ACCESS_DENIED
  452: "query_forbidden", // SETTING_CONSTRAINT_VIOLATION
  497: "query_forbidden", // ACCESS_DENIED
  202: "queue_full", // TOO_MANY_SIMULTANEOUS_QUERIES
  394: "query_cancelled", // QUERY_WAS_CANCELLED
};

/** Failures of the API's own account or of the server: nothing the caller can fix or should see. */
const serverSide = new Set([
  192, // UNKNOWN_USER
  193, // WRONG_PASSWORD
  194, // REQUIRED_PASSWORD
  195, // IP_ADDRESS_NOT_ALLOWED
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  516, // AUTHENTICATION_FAILED
]);

// 18.16: "Code: 62, e.displayText() = DB::Exception: msg, e.what() = DB::Exception"
// current: "Code: 62. DB::Exception: msg. (SYNTAX_ERROR) (version 24.8.1.1)", maybe a stack trace.
const codePattern = /Code: (\d+)[.,]/;
const noise: [RegExp, string][] = [
  [/[\s\S]*?Code: \d+[.,]\s*/, ""],
  [/^e\.displayText\(\) = /, ""],
  [/(?:DB::)?Exception: /g, ""],
  [/\s*Stack trace[\s\S]*$/, ""],
  [/,\s*e\.what\(\) = [\s\S]*$/, ""],
  [/\s*\(version [^)]*\)/g, ""],
  [/\s*\([A-Z][A-Z0-9_]{2,}\)\s*$/, ""],
  [/\s*\[[^\]\s]+:\d+\]/g, ""],
];
const maxMessageLength = 2_000;

/** The message ClickHouse gave, without codes, stack traces, versions or server addresses. */
export function clickhouseMessage(text: string): string {
  let message = text;
  for (const [pattern, replacement] of noise) message = message.replace(pattern, replacement);
  message = message.trim().replace(/\.$/, "");
  return message.length > maxMessageLength ? `${message.slice(0, maxMessageLength)}…` : message;
}

interface ParsedError {
  code: number;
  message: string;
}

/** The client either parsed the error (current servers) or handed back the raw text (18.16). */
function parse(error: unknown): ParsedError | undefined {
  if (error instanceof ClickHouseError) {
    return { code: Number(error.code), message: clickhouseMessage(error.message) };
  }
  if (!(error instanceof Error)) return undefined;
  const code = codePattern.exec(error.message)?.[1];
  if (code === undefined) return undefined;
  return { code: Number(code), message: clickhouseMessage(error.message) };
}

/**
 * Turns whatever the ClickHouse client threw into the one error type of the edge. An error that
 * carries a ClickHouse code came from the SQL (400 with ClickHouse's words, unless the code says
 * timeout, limit or permission); anything else means the server could not be reached (503).
 */
export function queryError(error: unknown, redact: readonly string[] = []): ApiError {
  if (error instanceof ApiError) return error;
  const parsed = parse(error);
  if (!parsed || serverSide.has(parsed.code)) return unavailable(error);

  let message = parsed.message;
  for (const secret of redact) if (secret) message = message.replaceAll(secret, "…");
  const code = codeFor[parsed.code] ?? "query_failed";
  if (code === "too_many_rows") message = `${message}. Add a LIMIT or ask for fewer columns`;
  return new ApiError(code, message, {
    cause: error,
    details: { clickhouseCode: parsed.code },
    headers: code === "queue_full" ? { "Retry-After": "1" } : {},
  });
}
