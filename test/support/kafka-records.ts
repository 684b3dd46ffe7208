/** Seeded inputs for the Kafka writers' tests, so a failure names an input made again. */
import type { RecordInput } from "../../src/kafka/record-batch";

export function seeded(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  return {
    below: (n: number) => next() % n,
    pick: <T>(values: T[]): T => values[next() % values.length] as T,
  };
}

export type Random = ReturnType<typeof seeded>;

export function text(random: Random): string {
  const alphabet = ["a", "Z", "0", " ", "é", "€", "😀", "\n", '"'];
  const length = random.pick([0, 1, 5, 127, 128, 300, 20_000]);
  let out = "";
  for (let i = 0; i < length; i++) out += random.pick(alphabet);
  return out;
}

export function bytes(random: Random): Buffer | string | null {
  const kind = random.below(4);
  if (kind === 0) return null;
  if (kind === 1) return text(random);
  return Buffer.from(text(random));
}

export function headers(random: Random) {
  const out: Record<string, Buffer | string | (Buffer | string)[]> = {};
  for (let i = random.below(4); i > 0; i--) {
    const value = () => (random.below(2) ? `v${text(random).slice(0, 40)}` : Buffer.from("raw"));
    out[`h${i}${random.pick(["", "é"])}`] = random.below(3) ? value() : [value(), value()];
  }
  return out;
}

export function record(random: Random, offsetDelta: number): RecordInput {
  return {
    offsetDelta,
    timestampDelta: random.pick([
      0,
      1,
      -1,
      63,
      64,
      -65,
      1_000_000,
      2 ** 31,
      -(2 ** 31) - 5,
      2 ** 40,
    ]),
    key: bytes(random),
    value: bytes(random),
    headers: headers(random),
  };
}
