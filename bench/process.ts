import { join } from "node:path";

/** Resident memory of a process in MB, from /proc. */
export async function rssMb(pid: number): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

/** Samples RSS every 100 ms while `work` runs and returns its result with the peak seen. */
export async function withPeakRss<T>(pid: number, work: () => Promise<T>) {
  let peak = await rssMb(pid);
  const timer = setInterval(async () => {
    peak = Math.max(peak, await rssMb(pid).catch(() => 0));
  }, 100);
  try {
    const result = await work();
    return { result, peakMb: peak };
  } finally {
    clearInterval(timer);
  }
}

export interface Started {
  url: string;
  pid: number;
  msToFirst200: number;
  stop(): Promise<void>;
}

/** The line a starting API writes once it listens, read back from its log file. */
async function listeningLine(logFile: string, timeoutMs = 15_000): Promise<{ url: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await Bun.file(logFile)
      .text()
      .catch(() => "");
    const line = text.split("\n").find((entry) => entry.includes('"listening"'));
    if (line) return JSON.parse(line);
    if (Date.now() > deadline) throw new Error(`the API did not start:\n${text}`);
    await Bun.sleep(5);
  }
}

/**
 * Starts the executable and measures the time from exec to its first 200 on /health/live. Its
 * log lines go to a file, as under systemd or a container runtime: a pipe read by this process
 * would take CPU from the API on the same cores while it is under load.
 */
export async function startApi(binary: string, env: Record<string, string>, cwd: string) {
  const logFile = join(cwd, `api-${Date.now()}.log`);
  const started = performance.now();
  const child = Bun.spawn([binary, "serve"], {
    env,
    cwd,
    stdout: Bun.file(logFile),
    stderr: "inherit",
  });
  const { url } = await listeningLine(logFile);
  for (;;) {
    const res = await fetch(`${url}/health/live`).catch(() => undefined);
    if (res?.status === 200) break;
    await Bun.sleep(5);
  }
  const msToFirst200 = Math.round(performance.now() - started);
  const stop = async () => {
    child.kill("SIGTERM");
    await child.exited;
  };
  return { url, pid: child.pid, msToFirst200, stop } satisfies Started;
}
