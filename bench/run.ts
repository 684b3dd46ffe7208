/**
 * The side-by-side benchmark: the compiled executable on the real stack, driven by wrk on
 * loopback, every figure measured in this one run. `bun run bench`; BENCH_SECONDS (default 10)
 * sets each load's length, BENCH_CONNECTIONS (default 64) its concurrency and BENCH_ROUNDS
 * (default 3) how often each compared pair is measured. SINK_BATCH_SIZE, when set, goes to the
 * sink's process, to weigh its throughput against its memory.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rssMb, startApi, withPeakRss } from "./process";
import { alternate, formatRatio, median, typical } from "./rounds";
import {
  broker,
  chHttp,
  clickhouse,
  countRows,
  deleteTopics,
  event,
  log,
  login,
  names,
  prepare,
  root,
  run,
  sinkLag,
} from "./setup";
import { type LoadOptions, type LoadResult, wrk } from "./wrk";

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const warmupSeconds = 2;
const batchSize = 500;
const analyticsSql =
  "SELECT event, count() AS c, max(timestamp) AS last FROM events GROUP BY event ORDER BY c DESC LIMIT 10";
const { database, topic, rawTopic, id } = names;

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: digits }) : "n/a";
const rps = (r: LoadResult) =>
  `${fmt(r.requestsPerSecond)} req/s (p99 ${fmt(r.p99Ms, 1)} ms, ${r.errors} errors)`;
const row = (label: string, value: string, goal = "") => `| ${label} | ${value} | ${goal} |`;

/**
 * A password check holds its hash's memory cost while it runs and gives it back within moments.
 * A load's peak is its own: the login before it has given its memory back when it starts. The
 * peak of logins is a row of its own.
 */
const settle = () => Bun.sleep(1000);

/** 50 logins at once, all with the right password; how each was answered and how long all took. */
async function loginBurst(url: string, password: string) {
  const started = performance.now();
  const statuses = await Promise.all(
    Array.from({ length: 50 }, () =>
      fetch(`${url}/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "user", password }),
      }).then((res) => res.status),
    ),
  );
  return { statuses, ms: performance.now() - started };
}

/** kcat producing `lines` events, one per message, `repeats` times over; events per second. */
async function kcatLoad(work: string) {
  // Two million events, so that kcat runs for seconds and its start-up is a small part of it.
  const lines = 200_000;
  const repeats = 10;
  const file = join(work, "kcat.ndjson");
  if (!(await Bun.file(file).exists())) {
    const text = Array.from({ length: lines }, (_, i) => JSON.stringify(event(i % batchSize)));
    await Bun.write(file, `${text.join("\n")}\n`);
  }
  const started = performance.now();
  run([
    "bash",
    "-c",
    `for _ in $(seq ${repeats}); do cat "$1"; done | kcat -P -b "$2" -t "$3" -X acks=all`,
    "kcat-load",
    file,
    broker,
    rawTopic,
  ]);
  return (lines * repeats) / ((performance.now() - started) / 1000);
}

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
  // Not process.execPath: the stack's `npm ci` may just have put a new Bun in its place.
  run([join(root, "node_modules", ".bin", "bun"), "run", "build"]);
  const binary = join(root, "dist/auterity-analytics");

  const work = await mkdtemp(join(tmpdir(), "auterity-bench-"));
  const { env, passwords } = await prepare(work, binary);
  const peaks: Record<string, number> = {};
  // Each load first runs unmeasured for a moment, so the JIT has compiled the path it measures
  // (kcat and ClickHouse are native code, warm from the first request). Peak RSS counts both.
  const load = (opts: Omit<LoadOptions, "seconds">, label: string, pid: number) =>
    withPeakRss(pid, async () => {
      await wrk({ ...opts, seconds: warmupSeconds });
      return wrk({ ...opts, seconds });
    }).then(({ result, peakMb }) => {
      peaks[label] = Math.max(peaks[label] ?? 0, peakMb);
      return result;
    });
  const perSecond = { first: (r: LoadResult) => r.requestsPerSecond, second: (n: number) => n };
  const bothRps = { first: perSecond.first, second: perSecond.first };

  log("cached query against liveness");
  const api = await startApi(binary, env, work);
  await Bun.sleep(1000);
  const idleMb = await rssMb(api.pid);
  log("a burst of logins");
  const burst = await withPeakRss(api.pid, () => loginBurst(api.url, passwords.user));
  peaks[`a burst of ${burst.result.statuses.length} logins`] = burst.peakMb;
  const userAuth = { Authorization: `Bearer ${await login(api.url, "user", passwords.user)}` };
  const sql = encodeURIComponent(analyticsSql);
  const queryUrl = `${api.url}/api/clickhouse/query?sql=${sql}`;
  const primed = await fetch(queryUrl, { headers: userAuth });
  if (primed.status !== 200) throw new Error(`query: ${primed.status} ${await primed.text()}`);
  await settle();
  const cached = await alternate(
    rounds,
    () => load({ url: queryUrl, connections, headers: userAuth }, "cached query", api.pid),
    () => load({ url: `${api.url}/health/live`, connections }, "liveness", api.pid),
    bothRps,
  );

  log("uncached query against ClickHouse's own HTTP port");
  const uncachedApi = await startApi(binary, { ...env, CACHE_TTL_SECONDS: "0" }, work);
  const uncachedUrl = `${uncachedApi.url}/api/clickhouse/query?sql=${sql}`;
  const uncachedAuth = {
    Authorization: `Bearer ${await login(uncachedApi.url, "user", passwords.user)}`,
  };
  await settle();
  const directUrl = `${chHttp}/?database=${database}&query=${encodeURIComponent(`${analyticsSql} FORMAT JSON`)}`;
  const uncached = await alternate(
    rounds,
    () =>
      load(
        { url: uncachedUrl, connections, headers: uncachedAuth },
        "uncached query",
        uncachedApi.pid,
      ),
    () => wrk({ url: directUrl, seconds, connections }),
    bothRps,
  );
  await uncachedApi.stop();

  log("ingest through the API against kcat straight to Kafka");
  // Its events go to the raw topic with kcat's, so the sink's topic holds only the fill below.
  const ingestApi = await startApi(binary, { ...env, KAFKA_TOPIC: rawTopic }, work);
  const ingestAuth = {
    Authorization: `Bearer ${await login(ingestApi.url, "ingest", passwords.ingest)}`,
  };
  await settle();
  const batchFile = join(work, "batch.json");
  await Bun.write(batchFile, JSON.stringify(Array.from({ length: batchSize }, (_, i) => event(i))));
  const events = {
    url: `${ingestApi.url}/api/events`,
    connections: 8,
    headers: ingestAuth,
    body: { file: batchFile, contentType: "application/json" },
  };
  const ingest = await alternate(
    rounds,
    () => load(events, "ingest", ingestApi.pid),
    () => kcatLoad(work),
    { first: (r) => r.requestsPerSecond * batchSize, second: perSecond.second },
  );

  const produceFile = join(work, "produce.json");
  await Bun.write(
    produceFile,
    JSON.stringify({ topic: rawTopic, message: JSON.stringify(event(1)) }),
  );
  const produce = await load(
    {
      url: `${ingestApi.url}/api/kafka/produce`,
      connections: 64,
      headers: ingestAuth,
      body: { file: produceFile, contentType: "application/json" },
    },
    "single produce",
    ingestApi.pid,
  );
  await ingestApi.stop();

  log("sink: filling its topic, then draining it into ClickHouse");
  const fillAuth = { Authorization: `Bearer ${await login(api.url, "ingest", passwords.ingest)}` };
  const fill = await wrk({
    ...events,
    url: `${api.url}/api/events`,
    headers: fillAuth,
    seconds: Math.max(1, Math.round(seconds / 2)),
  });
  const filled = (fill.requests - fill.errors) * batchSize;
  await api.stop();
  const before = await countRows();
  const sinkStart = performance.now();
  const batch = process.env.SINK_BATCH_SIZE;
  const sinkEnv = { ...env, ENABLE_SINK: "true", ...(batch ? { SINK_BATCH_SIZE: batch } : {}) };
  const sink = await startApi(binary, sinkEnv, work);
  // Done once every acknowledged event is a row and the sink reports nothing left to read.
  const { peakMb: sinkPeak } = await withPeakRss(sink.pid, async () => {
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      if ((await countRows()) >= before + filled && (await sinkLag(sink.url)) === 0) break;
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
      headers: { ...fillAuth, "content-type": "application/json" },
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

  const [hit, live] = [typical(cached.first), typical(cached.second)];
  const [miss, direct] = [typical(uncached.first), typical(uncached.second)];
  const ingested = typical(ingest.first);
  const lines = ["| figure | measured | goal |", "|---|---|---|"];
  lines.push(row("liveness `GET /health/live`", rps(live)));
  lines.push(row("cached query `GET /api/clickhouse/query`", rps(hit)));
  lines.push(row("**cached / liveness**", formatRatio(cached.compared), "≥ 0.8"));
  lines.push(row("uncached query through the API", rps(miss)));
  lines.push(row("same query straight to ClickHouse HTTP", rps(direct)));
  lines.push(row("**uncached API / ClickHouse**", formatRatio(uncached.compared), "≥ 0.8"));
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
      `ingest \`POST /api/events\` (${batchSize} per batch, 8 clients)`,
      `${fmt(ingested.requestsPerSecond * batchSize)} events/s (${ingested.errors} errors)`,
    ),
  );
  lines.push(row("kcat straight to Kafka (acks=all)", `${fmt(median(ingest.second))} events/s`));
  lines.push(row("**ingest API / kcat**", formatRatio(ingest.compared), "≥ 0.5"));
  lines.push(row("single-event `POST /api/kafka/produce`, 64 clients", rps(produce)));
  lines.push(
    row(
      `sink Kafka → ClickHouse (SINK_BATCH_SIZE ${batch ?? "default"})`,
      `${fmt(sinkPerSecond)} rows/s (${fmt(sinkRows)} rows)`,
    ),
  );
  lines.push(
    row(
      "POST → visible in a query (40 events)",
      `p50 ${fmt(pct(0.5))} ms, p99 ${fmt(pct(0.99))} ms`,
    ),
  );
  const { statuses } = burst.result;
  const answers = [...new Set(statuses)]
    .sort()
    .map((status) => `${statuses.filter((s) => s === status).length} × ${status}`);
  lines.push(
    row(
      `${statuses.length} logins at once`,
      `all answered in ${fmt(burst.result.ms / 1000, 1)} s: ${answers.join(", ")}`,
    ),
  );
  lines.push(row("idle RSS", `${idleMb} MB`));
  for (const [label, mb] of Object.entries(peaks))
    lines.push(row(`peak RSS under ${label}`, `${mb} MB`, "< 200 MB"));
  lines.push(row("exec → first 200", `${api.msToFirst200} ms`));

  await clickhouse(`DROP DATABASE IF EXISTS ${database}`);
  await deleteTopics([topic, rawTopic, `${topic}-dlq`, `${rawTopic}-dlq`]);
  await rm(work, { recursive: true, force: true });
  const total = Math.round((performance.now() - started) / 1000);
  process.stdout.write(
    `\n${lines.join("\n")}\n\n${seconds}s per load, ${connections} connections unless noted, ` +
      `${rounds} rounds of each compared pair (medians); whole run ${total}s\n`,
  );
}

await main();
