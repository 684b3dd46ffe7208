import { z } from "zod";
import { logLevels } from "./logger";
import { alwaysRefusedDatabases } from "./query/guard";
import { parseSubnet, type Subnet } from "./rate-limit/address";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const count = z.coerce.number().int().min(0);
const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);
const topicName = /^[A-Za-z0-9._-]{1,249}$/;
/** Kafka's own topics (consumer offsets, transactions) are never written to through the API. */
export const isInternalTopic = (topic: string) => topic.startsWith("__");
const flag = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1");

/** Every variable the process reads, with its default. `.env.example` mirrors this list. */
const envSchema = z.object({
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  PROMETHEUS_PORT: port.optional(),
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  MAX_BODY_BYTES: positiveInt.default(1024 * 1024),
  RATE_LIMIT_WINDOW_MS: positiveInt.default(900_000),
  RATE_LIMIT_MAX: count.default(100),
  RATE_LIMIT_LOGIN_MAX: count.default(10),
  LOGIN_MAX_CONCURRENT: positiveInt.default(2),
  RATE_LIMIT_QUERY_MAX: count.optional(),
  RATE_LIMIT_EVENTS_MAX: count.optional(),
  RATE_LIMIT_MAX_KEYS: positiveInt.default(100_000),
  TRUSTED_PROXIES: list
    .pipe(z.array(z.string().refine((entry) => parseSubnet(entry), "lists a non-IP/CIDR entry")))
    .default([]),

  JWT_SECRET: z
    .string({ error: "is required (at least 32 bytes)" })
    .refine((value) => Buffer.byteLength(value) >= 32, "must be at least 32 bytes"),

  JWT_EXPIRES_IN_SECONDS: positiveInt.default(3600),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  USERS_FILE: z.string().min(1).default("users.json"),
  JWKS_URL: z.url().optional(),
  JWKS_ISSUER: z.string().optional(),
  JWKS_AUDIENCE: z.string().optional(),
  JWKS_ROLE_CLAIM: z.string().min(1).default("role"),

  CLICKHOUSE_URL: z.url().default("http://localhost"),
  CLICKHOUSE_PORT: port.default(8123),
  CLICKHOUSE_USER: z.string().default("default"),
  CLICKHOUSE_PASSWORD: z.string().default(""),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a plain identifier")
    .default("analytics"),
  CLICKHOUSE_MAX_CONCURRENT_QUERIES: positiveInt.default(10),
  QUERY_QUEUE_SIZE: count.default(100),
  QUERY_QUEUE_TIMEOUT_MS: positiveInt.default(5_000),
  QUERY_ALLOWED_DATABASES: list
    .pipe(z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "lists a name that is not plain")))
    .refine(
      (names) => !names.some((name) => alwaysRefusedDatabases.includes(name.toLowerCase())),
      "may not list system or information_schema",
    )
    .optional(),
  QUERY_MAX_RESULT_BYTES: positiveInt.default(100 * 1024 * 1024),
  QUERY_TIMEOUT_SECONDS_USER: positiveInt.default(30),
  QUERY_TIMEOUT_SECONDS_ADMIN: positiveInt.default(300),
  QUERY_MAX_ROWS_USER: positiveInt.default(100_000),
  QUERY_MAX_ROWS_ADMIN: positiveInt.default(1_000_000),
  QUERY_MAX_MEMORY_BYTES_USER: positiveInt.default(1_000_000_000),
  QUERY_MAX_MEMORY_BYTES_ADMIN: positiveInt.default(4_000_000_000),
  QUERY_MAX_SQL_LENGTH_USER: positiveInt.default(20_000),
  QUERY_MAX_SQL_LENGTH_ADMIN: positiveInt.default(100_000),
  CACHE_TTL_SECONDS: count.default(300),
  CACHE_MAX_ENTRIES: positiveInt.default(1_000),
  CACHE_MAX_BYTES: positiveInt.default(64 * 1024 * 1024),

  KAFKA_BROKERS: list
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, "must be host:port")).min(1))
    .default(["localhost:9092"]),
  KAFKA_CLIENT_ID: z.string().min(1).default("auterity-analytics"),
  KAFKA_TOPIC: z.string().regex(topicName, "is not a valid topic name").default("analytics-data"),

  KAFKA_ALLOWED_TOPICS: list
    .pipe(z.array(z.string().regex(topicName, "lists a name that is not a topic")))
    .refine((topics) => !topics.some(isInternalTopic), "may not list internal topics (__…)")
    .default([]),
  KAFKA_PRODUCE_TIMEOUT_MS: positiveInt.default(5_000),
  KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1_000).default(5),
  KAFKA_MAX_QUEUE_BYTES: positiveInt.default(64 * 1024 * 1024),
  EVENTS_MAX_BATCH: positiveInt.default(1_000),
  EVENTS_MAX_BODY_BYTES: positiveInt.default(5 * 1024 * 1024),
  EVENTS_PER_MESSAGE: z.coerce.number().int().min(1).max(1_000).default(100),

  HEALTH_TIMEOUT_MS: positiveInt.default(2_000),
  ENABLE_SINK: flag.default(true),
  SINK_GROUP_ID: z.string().min(1).default("auterity-group"),
  SINK_BATCH_SIZE: positiveInt.default(20_000),
  SINK_BATCH_MAX_WAIT_MS: positiveInt.default(1_000),
  SINK_RETRY_MAX_MS: positiveInt.default(30_000),
  SINK_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000),
  SINK_DLQ_TOPIC: z.string().regex(topicName, "is not a valid topic name").optional(),
});

export type Env = z.input<typeof envSchema>;

/** The names of every variable read, for documentation checks. */
export const envVariables = Object.keys(envSchema.shape);
type Parsed = z.output<typeof envSchema>;

export interface Config {
  host: string;
  port: number;
  logLevel: Parsed["LOG_LEVEL"];
  shutdownTimeoutMs: number;
  metrics: { port?: number; token?: string };
  maxBodyBytes: number;
  rateLimit: {
    windowMs: number;
    maxKeys: number;
    trustedProxies: Subnet[];
    /** Requests per window and client for each route group; 0 turns that group's limit off. */
    max: { default: number; login: number; query: number; events: number };
  };
  auth: {
    secret: string;
    expiresInSeconds: number;
    issuer?: string;
    audience?: string;
    usersFile: string;
    /** Password checks at once; the rest wait in line. */
    loginMaxConcurrent: number;
    jwks?: { url: string; issuer: string; audience: string; roleClaim: string };
  };
  clickhouse: { url: string; user: string; password: string; database: string };
  query: {
    /** Databases the `user` role may read; always includes the analytics database. */
    allowedDatabases: string[];
    maxConcurrent: number;
    queueSize: number;
    queueTimeoutMs: number;
    /** Bound on a JSON result, which the API holds in memory (streamed formats are not held). */
    maxResultBytes: number;
    limits: Record<"admin" | "user", QueryLimits>;
  };
  /** The query cache; `ttlSeconds` 0 turns it off. */
  cache: { ttlSeconds: number; maxEntries: number; maxBytes: number };
  kafka: {
    brokers: string[];
    clientId: string;
    topic: string;
    /** Topics produce may write to; always includes the events topic. */
    allowedTopics: string[];
    produceTimeoutMs: number;
    lingerMs: number;
    maxQueueBytes: number;
  };
  events: { maxBatch: number; maxBodyBytes: number; perMessage: number };
  healthTimeoutMs: number;
  sinkEnabled: boolean;
  sink: {
    groupId: string;
    batchSize: number;
    batchMaxWaitMs: number;
    retryMaxMs: number;
    /** How long a member that died without leaving keeps its partitions. */
    sessionTimeoutMs: number;
    deadLetterTopic: string;
  };
}

/** What one query of a role may use. */
export interface QueryLimits {
  timeoutSeconds: number;
  maxRows: number;
  maxMemoryBytes: number;
  maxSqlLength: number;
}

/** Raised for a bad environment; its message is the one line an operator sees. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** The URL keeps its own port; CLICKHOUSE_PORT only fills in a missing one. */
function clickhouseUrl(raw: string, fallbackPort: number): string {
  const url = new URL(raw);
  if (url.port === "") url.port = String(fallbackPort);
  return url.origin + url.pathname.replace(/\/$/, "");
}

/**
 * Parses the environment once. Commands that never sign tokens (migrate) pass
 * `needsSecret: false` so an operator can run them without the API's secret.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  { needsSecret = true } = {},
): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const schema = needsSecret ? envSchema : envSchema.extend({ JWT_SECRET: z.string().default("") });
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue?.path[0] ?? "environment";
    throw new ConfigError(`invalid configuration: ${String(name)}: ${issue?.message ?? "invalid"}`);
  }
  const e = result.data;
  if (e.JWKS_URL && (!e.JWKS_ISSUER || !e.JWKS_AUDIENCE)) {
    const missing = e.JWKS_ISSUER ? "JWKS_AUDIENCE" : "JWKS_ISSUER";
    throw new ConfigError(`invalid configuration: ${missing}: is required when JWKS_URL is set`);
  }

  return {
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    metrics: { port: e.PROMETHEUS_PORT, token: e.METRICS_TOKEN },
    maxBodyBytes: e.MAX_BODY_BYTES,
    rateLimit: {
      windowMs: e.RATE_LIMIT_WINDOW_MS,
      maxKeys: e.RATE_LIMIT_MAX_KEYS,
      trustedProxies: e.TRUSTED_PROXIES.flatMap((entry) => parseSubnet(entry) ?? []),
      max: {
        default: e.RATE_LIMIT_MAX,
        login: e.RATE_LIMIT_LOGIN_MAX,
        query: e.RATE_LIMIT_QUERY_MAX ?? e.RATE_LIMIT_MAX,
        events: e.RATE_LIMIT_EVENTS_MAX ?? e.RATE_LIMIT_MAX,
      },
    },
    auth: {
      secret: e.JWT_SECRET,
      expiresInSeconds: e.JWT_EXPIRES_IN_SECONDS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      usersFile: e.USERS_FILE,
      loginMaxConcurrent: e.LOGIN_MAX_CONCURRENT,
      jwks:
        e.JWKS_URL && e.JWKS_ISSUER && e.JWKS_AUDIENCE
          ? {
              url: e.JWKS_URL,
              issuer: e.JWKS_ISSUER,
              audience: e.JWKS_AUDIENCE,
              roleClaim: e.JWKS_ROLE_CLAIM,
            }
          : undefined,
    },
    clickhouse: {
      url: clickhouseUrl(e.CLICKHOUSE_URL, e.CLICKHOUSE_PORT),
      user: e.CLICKHOUSE_USER,
      password: env.CLICKHOUSE_PASSWORD ?? "",
      database: e.CLICKHOUSE_DATABASE,
    },
    query: {
      allowedDatabases: [...new Set([e.CLICKHOUSE_DATABASE, ...(e.QUERY_ALLOWED_DATABASES ?? [])])],
      maxConcurrent: e.CLICKHOUSE_MAX_CONCURRENT_QUERIES,
      queueSize: e.QUERY_QUEUE_SIZE,
      queueTimeoutMs: e.QUERY_QUEUE_TIMEOUT_MS,
      maxResultBytes: e.QUERY_MAX_RESULT_BYTES,
      limits: {
        user: {
          timeoutSeconds: e.QUERY_TIMEOUT_SECONDS_USER,
          maxRows: e.QUERY_MAX_ROWS_USER,
          maxMemoryBytes: e.QUERY_MAX_MEMORY_BYTES_USER,
          maxSqlLength: e.QUERY_MAX_SQL_LENGTH_USER,
        },
        admin: {
          timeoutSeconds: e.QUERY_TIMEOUT_SECONDS_ADMIN,
          maxRows: e.QUERY_MAX_ROWS_ADMIN,
          maxMemoryBytes: e.QUERY_MAX_MEMORY_BYTES_ADMIN,
          maxSqlLength: e.QUERY_MAX_SQL_LENGTH_ADMIN,
        },
      },
    },
    cache: {
      ttlSeconds: e.CACHE_TTL_SECONDS,
      maxEntries: e.CACHE_MAX_ENTRIES,
      maxBytes: e.CACHE_MAX_BYTES,
    },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      topic: e.KAFKA_TOPIC,
      allowedTopics: [...new Set([e.KAFKA_TOPIC, ...e.KAFKA_ALLOWED_TOPICS])],
      produceTimeoutMs: e.KAFKA_PRODUCE_TIMEOUT_MS,
      lingerMs: e.KAFKA_LINGER_MS,
      maxQueueBytes: e.KAFKA_MAX_QUEUE_BYTES,
    },
    events: {
      maxBatch: e.EVENTS_MAX_BATCH,
      maxBodyBytes: e.EVENTS_MAX_BODY_BYTES,
      perMessage: e.EVENTS_PER_MESSAGE,
    },
    healthTimeoutMs: e.HEALTH_TIMEOUT_MS,
    sinkEnabled: e.ENABLE_SINK,
    sink: {
      groupId: e.SINK_GROUP_ID,
      batchSize: e.SINK_BATCH_SIZE,
      batchMaxWaitMs: e.SINK_BATCH_MAX_WAIT_MS,
      retryMaxMs: e.SINK_RETRY_MAX_MS,
      sessionTimeoutMs: e.SINK_SESSION_TIMEOUT_MS,
      deadLetterTopic: e.SINK_DLQ_TOPIC ?? `${e.KAFKA_TOPIC}-dlq`,
    },
  };
}
