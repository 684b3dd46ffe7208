/** What the benchmark prepares and asks of the stack: users, schema, seed rows, topics. */
import { join, resolve } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { routeProcessWarnings } from "../src/process-warnings";

export const root = resolve(import.meta.dir, "..");
export const chHttp = `http://127.0.0.1:${process.env.CLICKHOUSE_PORT ?? 8123}`;
export const broker = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`;

const id = Date.now().toString(36);
export const names = {
  id,
  database: `bench_${id}`,
  /** The sink's topic, filled through the API. */
  topic: `bench-${id}-events`,
  /** Where kcat, the ingest comparison and single produce requests write; no sink reads it. */
  rawTopic: `bench-${id}-raw`,
};

export const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
routeProcessWarnings((warning) => log(`warning: ${warning}`));

export function run(cmd: string[], options: { cwd?: string; stdin?: Uint8Array } = {}) {
  const result = Bun.spawnSync(cmd, {
    cwd: options.cwd ?? root,
    stdin: options.stdin,
    stderr: "pipe",
  });
  if (result.exitCode !== 0) {
    throw new Error(`${cmd.join(" ")} failed: ${result.stderr.toString()}`);
  }
  return result.stdout.toString();
}

export async function clickhouse(sql: string): Promise<string> {
  const res = await fetch(`${chHttp}/?database=${names.database}`, { method: "POST", body: sql });
  const text = await res.text();
  if (!res.ok) throw new Error(`clickhouse: ${text}`);
  return text.trim();
}

export async function countRows(): Promise<number> {
  return Number(await clickhouse("SELECT count() FROM events"));
}

/** A run writes gigabytes to Kafka; they go with the run, as its database does. */
export async function deleteTopics(topics: string[]) {
  const admin = new Kafka({ brokers: [broker], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((name) => existing.has(name));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Messages the sink has yet to store, from its own metrics. */
export async function sinkLag(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^sink_lag_messages (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

export function event(i: number, name = `page_view_${i % 20}`) {
  const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return { event: name, timestamp, data: { user: `u${i % 1000}`, path: `/p/${i % 50}`, n: i } };
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username}: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** Users, the API's environment, the schema and topics, and rows for the query to aggregate. */
export async function prepare(work: string, binary: string) {
  const passwords = {
    admin: crypto.randomUUID(),
    user: crypto.randomUUID(),
    ingest: crypto.randomUUID(),
  };
  const users = Object.entries(passwords).map(([role, password]) => ({
    username: role,
    role,
    passwordHash: run([binary, "hash-password"], {
      stdin: new TextEncoder().encode(password),
    }).trim(),
  }));
  await Bun.write(join(work, "users.json"), JSON.stringify({ users }));

  const { database, topic, rawTopic } = names;
  const env: Record<string, string> = {
    PATH: "/usr/bin:/bin",
    HOST: "127.0.0.1",
    PORT: "0",
    JWT_SECRET: crypto.randomUUID() + crypto.randomUUID(),
    USERS_FILE: join(work, "users.json"),
    CLICKHOUSE_URL: chHttp,
    CLICKHOUSE_DATABASE: database,
    KAFKA_BROKERS: broker,
    KAFKA_TOPIC: topic,
    KAFKA_ALLOWED_TOPICS: `${topic},${rawTopic}`,
    RATE_LIMIT_MAX: "0",
    RATE_LIMIT_LOGIN_MAX: "0",
    ENABLE_SINK: "false",
  };
  // migrate creates the database, the table and the topic; run again for the raw topic.
  for (const name of [topic, rawTopic]) {
    const migrated = Bun.spawnSync([binary, "migrate"], {
      env: { ...env, KAFKA_TOPIC: name },
      cwd: work,
    });
    if (migrated.exitCode !== 0) throw new Error(`migrate failed: ${migrated.stderr.toString()}`);
  }

  // 200,000 rows for the analytics query to aggregate, inserted straight into ClickHouse.
  await clickhouse(
    `INSERT INTO events (event, timestamp, timestamp_ms, data, received_at, kafka_partition, kafka_offset)
     SELECT concat('seed_', toString(number % 20)), toDateTime(1767225600 + number),
            (1767225600 + number) * 1000, '{}', now(), 0, number
     FROM system.numbers LIMIT 200000`,
  );
  return { env, passwords };
}
