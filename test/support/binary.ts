import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");

/**
 * Compiles the executable into a fresh, otherwise empty folder and returns its path, with the
 * project's own build script (its entry points include the producer thread).
 */
export async function buildBinary(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "auterity-bin-"));
  const outfile = join(dir, "auterity-analytics");
  const build = Bun.spawnSync([process.execPath, "run", "build"], {
    cwd: root,
    env: { ...process.env, OUTFILE: outfile },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`);
  return outfile;
}

/** Reads a child's stdout line by line, keeping every line for later assertions. */
export function lineReader(stream: ReadableStream<Uint8Array>) {
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of stream) {
      buffer += decoder.decode(chunk, { stream: true });
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      lines.push(...parts);
      for (const wake of waiters.splice(0)) wake();
    }
  })();

  const waitFor = async (predicate: (line: string) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching line; saw:\n${lines.join("\n")}`);
      await new Promise<void>((wake) => {
        waiters.push(wake);
        setTimeout(wake, 200);
      });
    }
  };
  return { lines, waitFor };
}
