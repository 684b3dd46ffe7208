import { rm } from "node:fs/promises";
import type { Subprocess } from "bun";
import { eventually } from "./stack";

interface ServerOptions {
  /** The server's own folder, removed by `close`. */
  folder: string;
  spawn: () => Subprocess;
  answers: () => Promise<boolean> | boolean;
  what: string;
  timeoutMs: number;
  intervalMs: number;
}

/**
 * A backend process of a test's own: `start` runs it until it answers, `stop` kills that process
 * only (by its own pid) and waits until it is gone, leaving its data; `close` also removes the
 * folder. Shared servers are never touched.
 */
export function privateServer(options: ServerOptions) {
  let server: Subprocess | undefined;

  const start = async () => {
    server = options.spawn();
    const { timeoutMs, intervalMs, what } = options;
    await eventually(options.answers, { timeoutMs, intervalMs, what });
  };

  const stop = async () => {
    if (!server) return;
    server.kill("SIGKILL");
    await server.exited;
    server = undefined;
  };

  const close = async () => {
    await stop();
    await rm(options.folder, { recursive: true, force: true });
  };

  return { start, stop, close };
}
