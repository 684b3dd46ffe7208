/*
 * CRC-32C (Castagnoli), the checksum over every Kafka record batch (see record-batch.ts). kafkajs
 * computes it one byte at a time from one table, about 2.7 ns a byte here. This takes eight bytes
 * a step from eight tables ("slicing by 8"), about four times as fast, with the same result.
 */

const castagnoli = 0x82f63b78;

/** Table k gives the CRC of a byte followed by k zero bytes; table 0 is the classic one. */
function sliceTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ castagnoli : crc >>> 1;
    tables[byte] = crc;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = tables[byte] ?? 0;
    for (let k = 1; k < 8; k++) {
      crc = (tables[crc & 0xff] ?? 0) ^ (crc >>> 8);
      tables[k * 256 + byte] = crc;
    }
  }
  return tables;
}

const table = sliceTables();

/**
 * The CRC-32C of `bytes`, as an unsigned 32-bit number. `previous`, the CRC of what came before,
 * continues a checksum over bytes that lie in several pieces.
 */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  const t = table;
  const length = bytes.length;
  const whole = length - (length & 7);
  let crc = previous ^ -1;
  let at = 0;
  // The indexes below are bytes (0–255) into tables of 8 × 256, so every lookup is in range.
  for (; at < whole; at += 8) {
    const low =
      crc ^
      ((bytes[at] as number) |
        ((bytes[at + 1] as number) << 8) |
        ((bytes[at + 2] as number) << 16) |
        ((bytes[at + 3] as number) << 24));
    crc =
      (t[1792 + (low & 0xff)] as number) ^
      (t[1536 + ((low >>> 8) & 0xff)] as number) ^
      (t[1280 + ((low >>> 16) & 0xff)] as number) ^
      (t[1024 + (low >>> 24)] as number) ^
      (t[768 + (bytes[at + 4] as number)] as number) ^
      (t[512 + (bytes[at + 5] as number)] as number) ^
      (t[256 + (bytes[at + 6] as number)] as number) ^
      (t[bytes[at + 7] as number] as number);
  }
  for (; at < length; at++) crc = (t[(crc ^ (bytes[at] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
