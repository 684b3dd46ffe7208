import type { BunPlugin } from "bun";

const crcSource = Bun.resolveSync("../src/kafka/crc32c.ts", import.meta.dir);
// The file that kafkajs 2.x computes record batch checksums in, one byte at a time.
const kafkajsCrc = /kafkajs[\\/]src[\\/]protocol[\\/]recordBatch[\\/]crc32C[\\/]crc32C\.js$/;

/**
 * Puts the project's CRC-32C in place of kafkajs's own when the executable is bundled. Same
 * results, four times as fast; the broker checks every batch's CRC, so a wrong one would fail
 * every send. `replaced()` tells whether the file was found, so that a kafkajs upgrade that
 * moves it stops the build instead of silently leaving the slow one in.
 */
export function kafkajsCrc32c() {
  let found = false;
  const plugin: BunPlugin = {
    name: "kafkajs-crc32c",
    setup(build) {
      build.onLoad({ filter: kafkajsCrc }, () => {
        found = true;
        return {
          contents: `module.exports = require(${JSON.stringify(crcSource)}).crc32c;`,
          loader: "js",
        };
      });
    },
  };
  return { plugin, replaced: () => found };
}
