/** One wrk run: requests per second, latency percentiles and non-2xx answers. */
export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === "us") return n / 1000;
  if (unit === "s") return n * 1000;
  if (unit === "m") return n * 60_000;
  return n;
}

export function parseWrk(output: string): LoadResult {
  const latency = (pct: string) => {
    const match = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(output);
    return match ? toMs(match[1] ?? "0", match[2] ?? "ms") : Number.NaN;
  };
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const total = /(\d+) requests in/.exec(output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requestsPerSecond: rps ? Number(rps[1]) : 0,
    p50Ms: latency("50"),
    p99Ms: latency("99"),
    requests: total ? Number(total[1]) : 0,
    errors: (non2xx ? Number(non2xx[1]) : 0) + socketErrors,
  };
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  threads?: number;
  headers?: Record<string, string>;
  body?: { file: string; contentType: string };
}

export async function wrk(options: LoadOptions): Promise<LoadResult> {
  const args = [
    "wrk",
    "--latency",
    `-t${options.threads ?? 2}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--timeout",
    "10s",
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    args.push("-H", `${name}: ${value}`);
  }
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  if (options.body) {
    args.push("-s", `${import.meta.dir}/post.lua`);
    env.BODY_FILE = options.body.file;
    env.CONTENT_TYPE = options.body.contentType;
  }
  args.push(options.url);
  const run = Bun.spawn(args, { env, stdout: "pipe", stderr: "pipe" });
  const [output, exitCode] = await Promise.all([new Response(run.stdout).text(), run.exited]);
  if (exitCode !== 0) throw new Error(`wrk failed: ${await new Response(run.stderr).text()}`);
  return parseWrk(output);
}
