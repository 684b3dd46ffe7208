/**
 * Compiles the single executable: `bun run build`, to dist/auterity-analytics or to OUTFILE.
 * The producer thread's module is an entry point of its own, so it is inside the executable too.
 */
import { resolve } from "node:path";
import { kafkajsParts } from "./kafkajs-parts";

const root = resolve(import.meta.dir, "..");
const outfile = resolve(root, process.env.OUTFILE || "dist/auterity-analytics");
const kafkajs = kafkajsParts();

const result = await Bun.build({
  entrypoints: [resolve(root, "src/main.ts"), resolve(root, "src/kafka/producer-worker.ts")],
  compile: { outfile },
  minify: true,
  plugins: [kafkajs.plugin],
});
for (const log of result.logs) console.error(log);
if (!result.success) process.exit(1);
const missing = kafkajs.missing();
if (missing.length > 0) {
  console.error(
    `build: kafkajs files not found (${missing.join(", ")}); see build/kafkajs-parts.ts`,
  );
  process.exit(1);
}
console.error(`build: ${outfile}`);
