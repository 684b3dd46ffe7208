import { Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { ApiError } from "../errors";
import { eventSchema } from "../events/event";
import { eventIngest } from "../events/ingest";
import { batchFormat } from "../events/parse";
import { scanBatch } from "../events/scan";
import type { AppDeps, AppEnv } from "../types";

/** The body of POST /api/events as JSON; NDJSON carries the same objects, one per line. */
export const eventsBody = z.union([eventSchema, z.array(eventSchema)]);

export const eventsReply = z.object({
  topic: z.string(),
  accepted: z.number().int().describe("Events Kafka acknowledged"),
  rejected: z.number().int().describe("Invalid events, not sent"),
  errors: z.array(
    z.object({
      index: z.number().int().describe("0-based position of the event in the batch"),
      line: z.number().int().optional().describe("1-based line of an NDJSON body"),
      error: z.string(),
    }),
  ),
});

const acceptsBatch: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!batchFormat(c.req.header("content-type"))) {
    throw new ApiError(
      "unsupported_media_type",
      "Content-Type must be application/json or application/x-ndjson",
    );
  }
  await next();
};

// The body size limit for this group is applied in the app, before authentication.
export function eventsRoutes(deps: AppDeps) {
  const ingest = eventIngest({
    producer: deps.producer,
    topic: deps.config.kafka.topic,
    perMessage: deps.config.events.perMessage,
  });
  const { maxBatch } = deps.config.events;

  return new Hono<AppEnv>().post("/events", acceptsBatch, async (c) => {
    const format = batchFormat(c.req.header("content-type")) ?? "json";
    const items = scanBatch(new Uint8Array(await c.req.arrayBuffer()), format, maxBatch);
    return c.json(await ingest(items));
  });
}
