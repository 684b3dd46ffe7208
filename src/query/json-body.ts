import { ApiError } from "../errors";

const encoder = new TextEncoder();
const cachedFlag = {
  true: encoder.encode(',\n\n\t"cached": true\n}\n'),
  false: encoder.encode(',\n\n\t"cached": false\n}\n'),
};
const CLOSE_BRACE = 0x7d;
const whitespace = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** The reply to a statement that returns no rows. */
export const writeBody = encoder.encode('{"data":[],"meta":[],"rows":0,"cached":false}\n');

/**
 * ClickHouse's FORMAT JSON answer (meta, data, rows, statistics) with the `cached` flag added
 * before its closing brace, byte for byte: the rows are never parsed and serialized again.
 */
export function jsonBody(answer: Uint8Array, cached: boolean): Uint8Array<ArrayBuffer> {
  let end = answer.length;
  while (end > 0 && whitespace.has(answer[end - 1] as number)) end -= 1;
  if (end === 0 || answer[end - 1] !== CLOSE_BRACE) {
    throw new ApiError("internal", "ClickHouse answered with something other than a JSON object");
  }
  let cut = end - 1;
  while (cut > 0 && whitespace.has(answer[cut - 1] as number)) cut -= 1;
  const flag = cachedFlag[cached ? "true" : "false"];
  const body = new Uint8Array(cut + flag.length);
  body.set(answer.subarray(0, cut));
  body.set(flag, cut);
  return body;
}
