import { describe, expect, test } from "bun:test";
import { crc32c } from "../../src/kafka/crc32c";

// kafkajs's own implementation, which the build replaces: the reference for every input.
const kafkajsCrc32c: (
  bytes: Buffer,
) => number = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js");

/** A small seeded generator, so a failure names an input that can be made again. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

describe("crc32c", () => {
  test("gives the standard check value and the empty input's", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
  });

  test("equals kafkajs's checksum for every length, offset and content tried", () => {
    const next = seeded(7);
    const memory = Buffer.alloc(70_000);
    for (let i = 0; i < memory.length; i++) memory[i] = next() & 0xff;
    const differing: string[] = [];
    for (let round = 0; round < 2_000; round++) {
      // Short lengths one by one, then longer ones, at offsets that are not multiples of eight.
      const length = round < 200 ? round : next() % 65_536;
      const offset = next() % (memory.length - length);
      const view = memory.subarray(offset, offset + length);
      if (crc32c(view) !== kafkajsCrc32c(view)) differing.push(`${offset}+${length}`);
    }
    expect(differing).toEqual([]);
  });

  test("continued over pieces, equals the checksum of the whole", () => {
    const next = seeded(8);
    const whole = Buffer.alloc(5_000);
    for (let i = 0; i < whole.length; i++) whole[i] = next() & 0xff;
    for (let round = 0; round < 200; round++) {
      const cut = next() % whole.length;
      const first = crc32c(whole.subarray(0, cut));
      expect(crc32c(whole.subarray(cut), first)).toBe(crc32c(whole));
    }
  });
});
