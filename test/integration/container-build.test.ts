import { afterAll, describe, expect, test } from "bun:test";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");

/** The Dockerfile's first stage: its COPY sources and RUN commands, continuations joined. */
async function buildStage() {
  const text = await Bun.file(join(root, "Dockerfile")).text();
  const lines = text.replace(/\\\n/g, " ").split("\n");
  const from = lines.findIndex((line) => line.startsWith("FROM "));
  const next = lines.findIndex((line, i) => i > from && line.startsWith("FROM "));
  const stage = lines.slice(from + 1, next);
  const copies = stage
    .filter((line) => line.startsWith("COPY ") && !line.includes("--from"))
    .flatMap((line) => line.split(/\s+/).slice(1, -1));
  const runs = stage.filter((line) => line.startsWith("RUN ")).map((line) => line.slice(4));
  return { copies, runs };
}

/** What .dockerignore lets into the build context: it ignores everything, then admits these. */
async function admitted() {
  const text = await Bun.file(join(root, ".dockerignore")).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("!"))
    .map((line) => line.slice(1).replace(/\/$/, ""));
}

/**
 * No container engine here, so the image's build stage runs as a script: the files its COPY lines
 * name, from a context holding only what .dockerignore admits, then its RUN lines as written
 * (with /out inside the test's folder). A file the build needs but the Dockerfile does not copy
 * fails this test, as it would fail `docker build`.
 */
describe("the container image's build stage", () => {
  let folder = "";
  afterAll(() => (folder ? rm(folder, { recursive: true, force: true }) : undefined));

  test("copies only admitted files and compiles an executable that runs", async () => {
    const { copies, runs } = await buildStage();
    const allowed = await admitted();
    expect(copies.length).toBeGreaterThan(0);
    expect(runs.length).toBeGreaterThan(0);
    for (const source of copies) expect(allowed).toContain(source.replace(/\/$/, ""));

    folder = await mkdtemp(join(tmpdir(), "auterity-image-"));
    const work = join(folder, "src-stage");
    const out = join(folder, "out");
    for (const source of copies) {
      await cp(join(root, source), join(work, source), { recursive: true });
    }
    // The image has `bun` on its PATH; here it is this very runtime, under that name.
    const bin = join(folder, "bin");
    await mkdir(bin);
    await symlink(process.execPath, join(bin, "bun"));
    for (const command of runs) {
      const run = Bun.spawnSync(
        ["bash", "-euo", "pipefail", "-c", command.replaceAll("/out/", `${out}/`)],
        {
          cwd: work,
          // The caller's environment (registry and proxy settings), with this Bun first on the PATH.
          env: { ...process.env, PATH: `${bin}:/usr/bin:/bin` },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      if (run.exitCode !== 0) {
        throw new Error(`RUN ${command} failed:\n${run.stdout}\n${run.stderr}`);
      }
    }

    const version = Bun.spawnSync([join(out, "auterity-analytics"), "--version"], { env: {} });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 180_000);
});
