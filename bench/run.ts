/**
 * The side-by-side benchmark: the compiled executable on the real stack, driven by wrk on
 * loopback, every figure measured in this one run. `bun run bench`; BENCH_SECONDS (default 10)
 * sets each load's length and BENCH_CONNECTIONS (default 64) its concurrency.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { rssMb, startApi, withPeakRss } from "./process";
import { type LoadResult, wrk } from "./wrk";

const root = resolve(import.meta.dir, "..");
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const warmupSeconds = 2;
const chHttp = `http://127.0.0.1:${process.env.CLICKHOUSE_PORT ?? 8123}`;
const broker = process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? 9092}`;
const id = Date.now().toString(36);
const database = `bench_${id}`;
const topic = `bench-${id}-events`;
const rawTopic = `bench-${id}-raw`;
const analyticsSql =
  "SELECT event, count() AS c, max(timestamp) AS last FROM events GROUP BY event ORDER BY c DESC LIMIT 10";

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

function run(cmd: string[], options: { cwd?: string; stdin?: Uint8Array } = {}) {
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

async function clickhouse(sql: string): Promise<string> {
  const res = await fetch(`${chHttp}/?database=${database}`, { method: "POST", body: sql });
  const text = await res.text();
  if (!res.ok) throw new Error(`clickhouse: ${text}`);
  return text.trim();
}

/** A run writes gigabytes to Kafka; they go with the run, as its database does. */
async function deleteTopics(topics: string[]) {
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
async function sinkLag(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^sink_lag_messages (\S+)$/m.exec(text)?.[1] ?? Number.NaN);
}

async function countRows(): Promise<number> {
  return Number(await clickhouse("SELECT count() FROM events"));
}

function event(i: number, name = `page_view_${i % 20}`) {
  const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  return { event: name, timestamp, data: { user: `u${i % 1000}`, path: `/p/${i % 50}`, n: i } };
}

async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username}: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

async function prepare(work: string, binary: string) {
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

function row(label: string, value: string, goal = "") {
  return `| ${label} | ${value} | ${goal} |`;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "n/a";

async function main() {
  const started = performance.now();
  log("starting the stack");
  run(["bash", "infrastructure/local/stack.sh", "start"]);
  if (!Bun.which("wrk")) {
    const sudo = process.getuid?.() === 0 ? "" : "sudo ";
    run([
      "bash",
      "-c",
      `${sudo}apt-get update -q && ${sudo}apt-get install -y -q --no-install-recommends wrk`,
    ]);
  }
  log("building the executable");
  run([process.execPath, "run", "build"]);
  const binary = join(root, "dist/auterity-analytics");

  const work = await mkdtemp(join(tmpdir(), "auterity-bench-"));
  const { env, passwords } = await prepare(work, binary);
  const lines: string[] = [];
  const peaks: Record<string, number> = {};

  log("cached query against liveness");
  const cached = await startApi(binary, env, work);
  await Bun.sleep(1000);
  const idleMb = await rssMb(cached.pid);
  const userToken = await login(cached.url, "user", passwords.user);
  const auth = { Authorization: `Bearer ${userToken}` };
  const queryUrl = `${cached.url}/api/clickhouse/query?sql=${encodeURIComponent(analyticsSql)}`;
  const primed = await fetch(queryUrl, { headers: auth });
  if (primed.status !== 200)
    throw new Error(`query answered ${primed.status}: ${await primed.text()}`);
  // Each load first runs unmeasured for a moment, so the JIT has compiled the path it measures
  // (kcat and ClickHouse are native code, warm from the first request). Peak RSS counts both.
  const load = (opts: Parameters<typeof wrk>[0], label: string, pid: number) =>
    withPeakRss(pid, async () => {
      await wrk({ ...opts, seconds: warmupSeconds });
      return wrk(opts);
    }).then(({ result, peakMb }) => {
      peaks[label] = peakMb;
      return result;
    });
  const live = await load(
    { url: `${cached.url}/health/live`, seconds, connections },
    "liveness",
    cached.pid,
  );
  const hit = await load(
    { url: queryUrl, seconds, connections, headers: auth },
    "cached query",
    cached.pid,
  );

  log("uncached query against ClickHouse's own HTTP port");
  const uncached = await startApi(binary, { ...env, CACHE_TTL_SECONDS: "0" }, work);
  const uncachedToken = await login(uncached.url, "user", passwords.user);
  const uncachedUrl = `${uncached.url}/api/clickhouse/query?sql=${encodeURIComponent(analyticsSql)}`;
  const miss = await load(
    {
      url: uncachedUrl,
      seconds,
      connections,
      headers: { Authorization: `Bearer ${uncachedToken}` },
    },
    "uncached query",
    uncached.pid,
  );
  const directUrl = `${chHttp}/?database=${database}&query=${encodeURIComponent(`${analyticsSql} FORMAT JSON`)}`;
  const direct = await wrk({ url: directUrl, seconds, connections });
  await uncached.stop();

  log("ingest through the API against kcat straight to Kafka");
  const ingestToken = await login(cached.url, "ingest", passwords.ingest);
  const batchFile = join(work, "batch.json");
  await Bun.write(batchFile, JSON.stringify(Array.from({ length: 500 }, (_, i) => event(i))));
  const ingest = await load(
    {
      url: `${cached.url}/api/events`,
      seconds,
      connections: 8,
      headers: { Authorization: `Bearer ${ingestToken}` },
      body: { file: batchFile, contentType: "application/json" },
    },
    "ingest",
    cached.pid,
  );
  // Counted from the measured load only; the warm-up's events are in the topic too.
  const ingestedEvents = (ingest.requests - ingest.errors) * 500;
  // Two million events, so that kcat runs for seconds and its start-up is a small part of it.
  const kcatLines = 200_000;
  const kcatRepeats = 10;
  const kcatFile = join(work, "kcat.ndjson");
  await Bun.write(
    kcatFile,
    `${Array.from({ length: kcatLines }, (_, i) => JSON.stringify(event(i % 500))).join("\n")}\n`,
  );
  const kcatStart = performance.now();
  run([
    "bash",
    "-c",
    `for _ in $(seq ${kcatRepeats}); do cat "$1"; done | kcat -P -b "$2" -t "$3" -X acks=all`,
    "kcat-load",
    kcatFile,
    broker,
    rawTopic,
  ]);
  const kcatPerSecond = (kcatLines * kcatRepeats) / ((performance.now() - kcatStart) / 1000);

  const produceFile = join(work, "produce.json");
  await Bun.write(
    produceFile,
    JSON.stringify({ topic: rawTopic, message: JSON.stringify(event(1)) }),
  );
  const produce = await load(
    {
      url: `${cached.url}/api/kafka/produce`,
      seconds,
      connections: 64,
      headers: { Authorization: `Bearer ${ingestToken}` },
      body: { file: produceFile, contentType: "application/json" },
    },
    "single produce",
    cached.pid,
  );
  await cached.stop();

  log("sink: draining the ingested events into ClickHouse");
  const before = await countRows();
  const sinkStart = performance.now();
  const sink = await startApi(binary, { ...env, ENABLE_SINK: "true" }, work);
  // Done once every measured event is a row and the sink reports nothing left to read (the
  // warm-up's events are rows too, and counted).
  const { peakMb: sinkPeak } = await withPeakRss(sink.pid, async () => {
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      if ((await countRows()) >= before + ingestedEvents && (await sinkLag(sink.url)) === 0) break;
      await Bun.sleep(100);
    }
  });
  peaks.sink = sinkPeak;
  const sinkRows = (await countRows()) - before;
  const sinkPerSecond = sinkRows / ((performance.now() - sinkStart) / 1000);

  log("sink: time from POST to visible in a query");
  const visibleMs: number[] = [];
  for (let i = 0; i < 40; i++) {
    const name = `latency_${id}_${i}`;
    const posted = performance.now();
    const res = await fetch(`${sink.url}/api/events`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ingestToken}`, "content-type": "application/json" },
      body: JSON.stringify([event(i, name)]),
    });
    if (res.status !== 200) throw new Error(`events answered ${res.status}`);
    while (Number(await clickhouse(`SELECT count() FROM events WHERE event = '${name}'`)) === 0) {
      await Bun.sleep(5);
    }
    visibleMs.push(performance.now() - posted);
  }
  await sink.stop();
  visibleMs.sort((a, b) => a - b);
  const pct = (p: number) =>
    visibleMs[Math.min(visibleMs.length - 1, Math.floor(p * visibleMs.length))] ?? 0;

  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : "n/a");
  const rps = (r: LoadResult) =>
    `${fmt(r.requestsPerSecond)} req/s (p99 ${fmt(r.p99Ms, 1)} ms, ${r.errors} errors)`;
  lines.push("| figure | measured | goal |", "|---|---|---|");
  lines.push(row("liveness `GET /health/live`", rps(live)));
  lines.push(row("cached query `GET /api/clickhouse/query`", rps(hit)));
  lines.push(
    row("**cached / liveness**", ratio(hit.requestsPerSecond, live.requestsPerSecond), "≥ 0.8"),
  );
  lines.push(row("uncached query through the API", rps(miss)));
  lines.push(row("same query straight to ClickHouse HTTP", rps(direct)));
  lines.push(
    row(
      "**uncached API / ClickHouse**",
      ratio(miss.requestsPerSecond, direct.requestsPerSecond),
      "≥ 0.8",
    ),
  );
  // The API runs at most CLICKHOUSE_MAX_CONCURRENT_QUERIES at once and queues the rest, while
  // ClickHouse alone runs all of them together; both latencies are shown, not a difference.
  lines.push(
    row(
      "latency p50 / p99, API vs ClickHouse",
      `${fmt(miss.p50Ms, 1)} / ${fmt(miss.p99Ms, 1)} ms vs ${fmt(direct.p50Ms, 1)} / ${fmt(direct.p99Ms, 1)} ms`,
    ),
  );
  lines.push(
    row(
      "ingest `POST /api/events` (500 per batch, 8 clients)",
      `${fmt(ingest.requestsPerSecond * 500)} events/s (${ingest.errors} errors)`,
    ),
  );
  lines.push(row("kcat straight to Kafka (acks=all)", `${fmt(kcatPerSecond)} events/s`));
  lines.push(
    row("**ingest API / kcat**", ratio(ingest.requestsPerSecond * 500, kcatPerSecond), "≥ 0.5"),
  );
  lines.push(row("single-event `POST /api/kafka/produce`, 64 clients", rps(produce)));
  lines.push(
    row("sink Kafka → ClickHouse", `${fmt(sinkPerSecond)} rows/s (${fmt(sinkRows)} rows)`),
  );
  lines.push(
    row(
      "POST → visible in a query (40 events)",
      `p50 ${fmt(pct(0.5))} ms, p99 ${fmt(pct(0.99))} ms`,
    ),
  );
  lines.push(row("idle RSS", `${idleMb} MB`));
  for (const [label, mb] of Object.entries(peaks))
    lines.push(row(`peak RSS under ${label}`, `${mb} MB`, "< 200 MB"));
  lines.push(row("exec → first 200", `${cached.msToFirst200} ms`));

  await clickhouse(`DROP DATABASE IF EXISTS ${database}`);
  await deleteTopics([topic, rawTopic, `${topic}-dlq`, `${rawTopic}-dlq`]);
  await rm(work, { recursive: true, force: true });
  const total = Math.round((performance.now() - started) / 1000);
  process.stdout.write(
    `\n${lines.join("\n")}\n\n${seconds}s per load, ${connections} connections unless noted; whole run ${total}s\n`,
  );
}

await main();
