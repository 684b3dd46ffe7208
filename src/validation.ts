import { zValidator } from "@hono/zod-validator";
import type { Context, MiddlewareHandler, ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors";
import type { AppEnv } from "./types";

const jsonType = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/** A JSON body is required: anything else is a 415 before parsing is attempted. */
export const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header("content-type") ?? "";
  if (!jsonType.test(type)) {
    throw new ApiError("unsupported_media_type", "Content-Type must be application/json");
  }
  await next();
};

/** Our error body for a failed check: every issue listed with its path. */
function invalid(error: { issues: z.core.$ZodIssue[] }, target: string): ApiError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.join("."),
    message: issue.message,
  }));
  const first = issues[0];
  const message = first ? `${first.path || target}: ${first.message}` : "Invalid request";
  return new ApiError("validation_failed", message, { details: issues });
}

/** zod validation of a request part as a middleware, with our error body. */
export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw invalid(result.error, target);
  });
}

/**
 * The query string checked by `schema`, synchronously and inside the handler: the same rules and
 * error body as `validate("query", …)`, without a middleware layer and an async parse on a path
 * as hot as a cached query.
 */
export function validQuery<Schema extends z.ZodType>(
  c: Context<AppEnv>,
  schema: Schema,
): z.output<Schema> {
  // As the middleware reads it: a name given twice is a list, which a string rule refuses.
  const values: Record<string, string | string[]> = {};
  for (const [name, list] of Object.entries(c.req.queries())) {
    values[name] = list.length === 1 ? (list[0] ?? "") : list;
  }
  const result = schema.safeParse(values);
  if (!result.success) throw invalid(result.error, "query");
  return result.data;
}
