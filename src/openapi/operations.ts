import { z } from "zod";
import { type ErrorCode, errorStatus } from "../errors";
import { eventSchema } from "../events/event";
import { eventsBody, eventsReply } from "../routes/events";
import { loginBody } from "../routes/login";
import { produceBatchReply, produceBody, produceReply } from "../routes/produce";
import { clearCacheResult, queryBody, queryParams, queryResult } from "../routes/query";

export interface Reply {
  description: string;
  schema?: z.ZodType;
  /** application/json unless said otherwise. */
  contentType?: string;
  /** Further media types the reply may take, by request (streamed formats). */
  otherTypes?: string[];
}

/**
 * One documented endpoint. Request schemas are the very ones the routes validate with, so the
 * document cannot drift from what the API accepts.
 */
export interface Operation {
  summary: string;
  description?: string;
  tag: string;
  /** The JSON request body. */
  body?: z.ZodType;
  /** One line of an application/x-ndjson body, where the route also takes that. */
  ndjsonLine?: z.ZodType;
  /** Query parameters: one per key. */
  query?: z.ZodObject;
  replies: Record<number, Reply>;
}

export const errorBody = z.object({
  error: z.string().describe("What went wrong, in words a person can act on"),
  code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
  requestId: z.string().describe("Also in the X-Request-Id header and the server's log"),
  details: z.unknown().optional(),
});

const backendState = z.object({
  status: z.enum(["up", "down"]),
  latencyMs: z.number(),
  error: z.enum(["timeout", "unreachable"]).optional(),
});
const backends = { clickhouse: backendState, kafka: backendState };

const loginReply = z.object({
  token: z.string().describe("HS256 JWT with sub, role, iat, exp and jti"),
  tokenType: z.literal("Bearer"),
  expiresIn: z.number().int().describe("Seconds until the token expires"),
});

const queryReplies: Record<number, Reply> = {
  200: {
    description:
      "format=json: the rows and `cached` (X-Cache: HIT or MISS); ndjson and csv stream the rows",
    schema: queryResult,
    otherTypes: ["application/x-ndjson", "text/csv"],
  },
  400: {
    description: "Bad parameters, or SQL that ClickHouse refused (with its message)",
    schema: errorBody,
  },
  503: { description: "ClickHouse is down or the query queue is full", schema: errorBody },
  504: { description: "The query ran past its time limit", schema: errorBody },
};

/** Every route the app serves, keyed like `routeRoles`: "METHOD /template". */
export const operations: Record<string, Operation> = {
  "POST /login": {
    tag: "identity",
    summary: "Exchange a username and password for a bearer token",
    description:
      "A wrong username and a wrong password get the same 401. Limited per client address and " +
      "per username (RATE_LIMIT_LOGIN_MAX per window).",
    body: loginBody,
    replies: {
      200: { description: "A token for the Authorization header", schema: loginReply },
      401: { description: "Unknown user or wrong password", schema: errorBody },
      503: {
        description: "Too many logins waiting for a password check (LOGIN_MAX_CONCURRENT)",
        schema: errorBody,
      },
    },
  },

  "GET /api/clickhouse/query": {
    tag: "queries",
    summary: "Run one read query given in the sql parameter",
    description: "Limits on time, rows and memory depend on the role; results are cached.",
    query: queryParams,
    replies: queryReplies,
  },
  "POST /api/clickhouse/query": {
    tag: "queries",
    summary: "Run one read query given in the body, for long SQL",
    description: "Limits on time, rows and memory depend on the role; results are cached.",
    body: queryBody,
    replies: queryReplies,
  },
  "POST /api/clickhouse/clear-cache": {
    tag: "queries",
    summary: "Empty the query cache",
    replies: { 200: { description: "The cache is empty", schema: clearCacheResult } },
  },

  "POST /api/kafka/produce": {
    tag: "events",
    summary: "Send one message, or a batch in `messages`, to a Kafka topic",
    description:
      "200 means Kafka acknowledged every message on all in-sync replicas. Topics other than " +
      "the events topic must be in KAFKA_ALLOWED_TOPICS.",
    body: produceBody,
    replies: {
      200: {
        description: "Acknowledged: where each message was written",
        schema: z.union([produceReply, produceBatchReply]),
      },
      503: { description: "Kafka did not acknowledge in time", schema: errorBody },
    },
  },
  "POST /api/events": {
    tag: "events",
    summary: "Send a batch of events (a JSON array or NDJSON) to the events topic",
    description:
      "Every valid event is sent; every invalid one is reported by position with the reason.",
    body: eventsBody,
    ndjsonLine: eventSchema,
    replies: {
      200: {
        description: "How many were accepted, and why the others were not",
        schema: eventsReply,
      },
      503: { description: "Kafka did not acknowledge in time", schema: errorBody },
    },
  },

  "GET /health": {
    tag: "operations",
    summary: "Status of the API and of both backends; never fails",
    replies: {
      200: {
        description: "The API runs; each backend is reported up or down",
        schema: z.object({
          status: z.literal("API is running"),
          version: z.string(),
          uptimeSeconds: z.number().int(),
          ...backends,
        }),
      },
    },
  },
  "GET /health/live": {
    tag: "operations",
    summary: "Liveness: the process answers (backends are not asked)",
    replies: { 200: { description: "Alive", schema: z.object({ status: z.literal("ok") }) } },
  },
  "GET /health/ready": {
    tag: "operations",
    summary: "Readiness: ClickHouse and Kafka both answer",
    replies: {
      200: {
        description: "Ready to serve",
        schema: z.object({ status: z.literal("ready"), ...backends }),
      },
      503: {
        description: "A backend does not answer within HEALTH_TIMEOUT_MS",
        schema: errorBody.extend({ status: z.literal("not_ready"), ...backends }),
      },
    },
  },
  "GET /metrics": {
    tag: "operations",
    summary: "Prometheus metrics in the text exposition format",
    description: "Open, unless METRICS_TOKEN is set: then it needs that token as a bearer token.",
    replies: {
      200: { description: "Metrics", contentType: "text/plain; version=0.0.4" },
      401: { description: "METRICS_TOKEN is set and was not presented", schema: errorBody },
    },
  },
  "GET /openapi.json": {
    tag: "operations",
    summary: "This document (OpenAPI 3.1)",
    replies: { 200: { description: "The OpenAPI document" } },
  },
  "GET /docs": {
    tag: "operations",
    summary: "This document as a page to read",
    replies: { 200: { description: "HTML", contentType: "text/html" } },
  },
};
