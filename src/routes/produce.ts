import { Hono } from "hono";
import { z } from "zod";
import { produceService } from "../events/produce";
import type { AppDeps, AppEnv } from "../types";
import { requireJson, validate } from "../validation";

const value = z
  .unknown()
  .refine((message) => message !== undefined && message !== null, "is required")
  .describe("A string is sent as it is, any other JSON value as its JSON text");
const key = z.string().max(1024).describe("Kafka message key; equal keys share a partition");
const headers = z
  .record(z.string().min(1).max(256), z.string().max(16_384))
  .refine((map) => Object.keys(map).length <= 64, "at most 64 headers");

export const produceMessage = z.strictObject({
  message: value,
  key: key.optional(),
  headers: headers.optional(),
});

export const produceBody = z
  .strictObject({
    topic: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, "is not a valid topic name")
      .optional()
      .describe("Defaults to the events topic; others must be in KAFKA_ALLOWED_TOPICS"),
    message: value.optional(),
    key: key.optional(),
    headers: headers.optional(),
    messages: z.array(produceMessage).min(1).optional(),
  })
  .refine((body) => (body.message === undefined) !== (body.messages === undefined), {
    message: "give either message or messages",
    path: ["message"],
  })
  .refine((body) => !body.messages || (body.key === undefined && body.headers === undefined), {
    message: "with messages, put key and headers on each message",
    path: ["messages"],
  });

export const produceReply = z.object({
  status: z.literal("Message sent"),
  topic: z.string(),
  partition: z.number().int(),
  offset: z.string().describe("64-bit Kafka offset as a decimal string"),
});

export const produceBatchReply = z.object({
  status: z.literal("Messages sent"),
  topic: z.string(),
  count: z.number().int(),
  deliveries: z.array(z.object({ partition: z.number().int(), offset: z.string() })),
});

// The body size limit for this group is applied in the app, before authentication.
export function produceRoutes(deps: AppDeps) {
  const { kafka, events } = deps.config;
  const produce = produceService({
    producer: deps.producer,
    defaultTopic: kafka.topic,
    allowedTopics: kafka.allowedTopics,
    maxBatch: events.maxBatch,
  });

  return new Hono<AppEnv>().post(
    "/kafka/produce",
    requireJson,
    validate("json", produceBody),
    async (c) => {
      const body = c.req.valid("json");
      const single = body.messages === undefined;
      const items = body.messages ?? [
        { message: body.message, key: body.key, headers: body.headers },
      ];
      const deliveries = await produce({ topic: body.topic, items });

      const topic = deliveries[0]?.topic ?? body.topic ?? kafka.topic;
      if (single) return c.json({ status: "Message sent", ...deliveries[0], topic });
      const placed = deliveries.map(({ partition, offset }) => ({ partition, offset }));
      return c.json({
        status: "Messages sent",
        topic,
        count: deliveries.length,
        deliveries: placed,
      });
    },
  );
}
