import type { BunPlugin } from "bun";

const produceRequest = Bun.resolveSync("../src/kafka/produce-request.ts", import.meta.dir);

/** kafkajs 2.x files that the executable takes from src/kafka instead. */
const replacements = [
  {
    file: /kafkajs[\\/]src[\\/]protocol[\\/]requests[\\/]produce[\\/]v3[\\/]request\.js$/,
    contents: `module.exports = require(${JSON.stringify(produceRequest)}).produceRequest;`,
  },
  {
    file: /kafkajs[\\/]src[\\/]protocol[\\/]request\.js$/,
    contents: `module.exports = require(${JSON.stringify(produceRequest)}).frameRequest;`,
  },
];

/**
 * Puts the project's Produce request and request frame in place of kafkajs's when the executable
 * is bundled (with the record batch writer that the request uses): the same bytes, with every
 * message copied once instead of a dozen times. The broker checks every batch's CRC and framing,
 * so a wrong byte fails every send. `missing()` names the files that
 * were not found, so that a kafkajs upgrade that moves them stops the build instead of silently
 * leaving the slow ones in.
 */
export function kafkajsParts() {
  const found = new Set<RegExp>();
  const plugin: BunPlugin = {
    name: "kafkajs-produce-request",
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
