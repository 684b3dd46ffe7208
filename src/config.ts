import { z } from "zod";
import { logLevels } from "./logger";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const list = z.string().transform((value) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean),
);
const flag = z
  .enum(["true", "false", "1", "0"])
  .transform((value) => value === "true" || value === "1");

/** Every variable the process reads, with its default. `.env.example` mirrors this list. */
const envSchema = z.object({
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),

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

  KAFKA_BROKERS: list
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, "must be host:port")).min(1))
    .default(["localhost:9092"]),
  KAFKA_CLIENT_ID: z.string().min(1).default("auterity-analytics"),
  KAFKA_TOPIC: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, "is not a valid topic name")
    .default("analytics-data"),

  HEALTH_TIMEOUT_MS: positiveInt.default(2_000),
  ENABLE_SINK: flag.default(true),
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
  auth: {
    secret: string;
    expiresInSeconds: number;
    issuer?: string;
    audience?: string;
    usersFile: string;
    jwks?: { url: string; issuer: string; audience: string; roleClaim: string };
  };
  clickhouse: { url: string; user: string; password: string; database: string };
  kafka: { brokers: string[]; clientId: string; topic: string };
  healthTimeoutMs: number;
  sinkEnabled: boolean;
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
    auth: {
      secret: e.JWT_SECRET,
      expiresInSeconds: e.JWT_EXPIRES_IN_SECONDS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      usersFile: e.USERS_FILE,
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
    kafka: { brokers: e.KAFKA_BROKERS, clientId: e.KAFKA_CLIENT_ID, topic: e.KAFKA_TOPIC },
    healthTimeoutMs: e.HEALTH_TIMEOUT_MS,
    sinkEnabled: e.ENABLE_SINK,
  };
}
