/**
 * Compiles the single executable: `bun run build`, to dist/auterity-analytics or to OUTFILE.
 * The producer thread's module is an entry point of its own, so it is inside the executable too.
 */
import { resolve } from "node:path";
import { kafkajsCrc32c } from "./kafkajs-crc32c";

const root = resolve(import.meta.dir, "..");
const outfile = resolve(root, process.env.OUTFILE || "dist/auterity-analytics");
const crc = kafkajsCrc32c();

const result = await Bun.build({
  entrypoints: [resolve(root, "src/main.ts"), resolve(root, "src/kafka/producer-worker.ts")],
  compile: { outfile },
  minify: true,
  plugins: [crc.plugin],
});
for (const log of result.logs) console.error(log);
if (!result.success) process.exit(1);
if (!crc.replaced()) {
  console.error("build: kafkajs's crc32C.js was not found; update build/kafkajs-crc32c.ts");
  process.exit(1);
}
console.error(`build: ${outfile}`);
