import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
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

/** zod validation with our error body: every issue listed with its path. */
export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (result.success) return;
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.join("."),
      message: issue.message,
    }));
    const first = issues[0];
    const message = first ? `${first.path || target}: ${first.message}` : "Invalid request";
    throw new ApiError("validation_failed", message, { details: issues });
  });
}
