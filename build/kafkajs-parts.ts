import type { BunPlugin } from "bun";

const recordBatch = Bun.resolveSync("../src/kafka/record-batch.ts", import.meta.dir);

/** kafkajs 2.x files that the executable takes from src/kafka/record-batch.ts instead. */
const replacements = [
  {
    file: /kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]v0[\\/]index\.js$/,
    contents: `module.exports = require(${JSON.stringify(recordBatch)});`,
  },
  {
    file: /kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]record[\\/]v0[\\/]index\.js$/,
    contents: `module.exports = require(${JSON.stringify(recordBatch)}).Record;`,
  },
];

/**
 * Puts the project's record batch writer in place of kafkajs's Record and RecordBatch when the
 * executable is bundled: the same bytes with a sixth of the copying. The broker checks every
 * batch's CRC and framing, so a wrong byte fails every send. `missing()` names the files that
 * were not found, so that a kafkajs upgrade that moves them stops the build instead of silently
 * leaving the slow ones in.
 */
export function kafkajsParts() {
  const found = new Set<RegExp>();
  const plugin: BunPlugin = {
    name: "kafkajs-record-batch",
    setup(build) {
      for (const { file, contents } of replacements) {
        build.onLoad({ filter: file }, () => {
          found.add(file);
          return { contents, loader: "js" };
        });
      }
    },
  };
  const missing = () =>
    replacements.filter(({ file }) => !found.has(file)).map(({ file }) => file.source);
  return { plugin, missing };
}
