/*
 * Reading a batch from its bytes. An event that arrives exactly as the events topic stores it,
 * `{"event":…,"timestamp":…,"data":{…}}` in compact JSON as JSON.stringify writes it, is already
 * its own line: it is checked here byte by byte and kept as it came, never parsed into objects
 * and written out again, which was most of the request thread's work on large batches.
 *
 * The stored form is narrow on purpose: a printable ASCII name, a timestamp as toISOString()
 * writes it, ASCII strings with only the escapes JSON.stringify uses, numbers in the form
 * String(number) gives, no duplicate or integer-like keys (JSON.parse would reorder or merge
 * them), no `__proto__` key at the top of data (the check leaves it out). Anything else in an
 * element sends that element to JSON.parse and the usual check; a body whose outline is not
 * plain (not an array or object, a BOM, stray bytes) goes to parseBatch whole, so errors read as
 * they always have. A test holds both ways to the same results.
 */
import { canonicalMs } from "./event";
import { type BatchFormat, type BatchItem, noEvents, parseBatch, tooMany } from "./parse";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const NEWLINE = 0x0a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const eventStart = ascii('{"event":"');
const timestampStart = ascii('","timestamp":"');
const dataStart = ascii('","data":');
const TRUE = ascii("true");
const FALSE = ascii("false");
const NULL = ascii("null");
const proto = ascii("__proto__");
// JSON.stringify nests far deeper; past this the usual path decides.
const maxDepth = 64;
const maxKeys = 32;
// The escapes JSON.stringify writes as two characters: \" \\ \b \f \n \r \t.
const shortEscape = new Uint8Array(256);
for (const c of '"\\bfnrt') shortEscape[c.charCodeAt(0)] = 1;
// Slices keep a BOM as text, as the body's own decoding does past its first byte.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

const latin1 = (b: Buffer, from: number, to: number) =>
  b.toString("latin1", from, Math.min(to, b.length));

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
// What String.prototype.trim removes among ASCII bytes.
const isTrimmed = (c: number | undefined) => isSpace(c) || c === 0x0b || c === 0x0c;
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

function startsWith(b: Buffer, at: number, part: Uint8Array): boolean {
  if (at + part.length > b.length) return false;
  for (let i = 0; i < part.length; i++) if (b[at + i] !== part[i]) return false;
  return true;
}

function same(b: Buffer, a0: number, a1: number, c0: number, c1: number): boolean {
  if (a1 - a0 !== c1 - c0) return false;
  for (let i = 0; i < a1 - a0; i++) if (b[a0 + i] !== b[c0 + i]) return false;
  return true;
}

/** The end of a string in the stored form starting at its quote, or -1. */
function stringEnd(b: Buffer, at: number): number {
  for (let i = at + 1; i < b.length; i++) {
    const c = b[i] as number;
    if (c === QUOTE) return i + 1;
    if (c < 0x20 || c >= 0x80) return -1;
    if (c === BACKSLASH && shortEscape[b[++i] as number] !== 1) return -1;
  }
  return -1;
}

/** The end of a number written as String(number) writes it, or -1. */
function numberEnd(b: Buffer, at: number): number {
  let i = at;
  if (b[i] === 0x2d) i++;
  const first = i;
  while (isDigit(b[i])) i++;
  const plain = b[i] !== 0x2e && b[i] !== 0x65 && b[i] !== 0x45;
  if (plain && i > first && i - first <= 15 && (b[first] !== 0x30 || i - first === 1)) {
    return b[at] === 0x2d && b[first] === 0x30 ? -1 : i;
  }
  while (i < b.length && /[-+.eE0-9]/.test(String.fromCharCode(b[i] as number))) i++;
  const text = latin1(b, at, i);
  return String(Number(text)) === text ? i : -1;
}

function valueEnd(b: Buffer, at: number, depth: number): number {
  const c = b[at];
  if (c === QUOTE) return stringEnd(b, at);
  if (c === OPEN_OBJECT) return depth < maxDepth ? objectEnd(b, at, depth + 1, false) : -1;
  if (c === OPEN_ARRAY) return depth < maxDepth ? arrayEnd(b, at, depth + 1) : -1;
  if (c === 0x2d || isDigit(c)) return numberEnd(b, at);
  if (c === 0x74) return startsWith(b, at, TRUE) ? at + 4 : -1;
  if (c === 0x66) return startsWith(b, at, FALSE) ? at + 5 : -1;
  if (c === 0x6e) return startsWith(b, at, NULL) ? at + 4 : -1;
  return -1;
}

function arrayEnd(b: Buffer, at: number, depth: number): number {
  let i = at + 1;
  if (b[i] === CLOSE_ARRAY) return i + 1;
  for (;;) {
    i = valueEnd(b, i, depth);
    if (i < 0) return -1;
    if (b[i] === CLOSE_ARRAY) return i + 1;
    if (b[i++] !== COMMA) return -1;
  }
}

/** The end of an object in the stored form starting at its brace, or -1. */
function objectEnd(b: Buffer, at: number, depth: number, top: boolean): number {
  let i = at + 1;
  if (b[i] === CLOSE_OBJECT) return i + 1;
  const keys: number[] = [];
  for (;;) {
    if (b[i] !== QUOTE) return -1;
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return -1;
    // Integer-like keys come first in JSON.parse's objects, whatever their place in the text.
    let digits = true;
    for (let k = i + 1; k < keyEnd - 1 && digits; k++) digits = isDigit(b[k]);
    if (digits || (top && isProto(b, i + 1, keyEnd))) return -1;
    for (let k = 0; k < keys.length; k += 2) {
      if (same(b, keys[k] as number, keys[k + 1] as number, i, keyEnd)) return -1;
    }
    if (keys.length >= maxKeys * 2) return -1;
    keys.push(i, keyEnd);
    if (b[keyEnd] !== COLON) return -1;
    i = valueEnd(b, keyEnd + 1, depth);
    if (i < 0) return -1;
    if (b[i] === CLOSE_OBJECT) return i + 1;
    if (b[i++] !== COMMA) return -1;
  }
}

const isProto = (b: Buffer, from: number, keyEnd: number) =>
  keyEnd - 1 - from === proto.length && startsWith(b, from, proto);

/** The end of an event in the stored form starting at `at`, or -1. */
export function storedEnd(b: Buffer, at: number): number {
  if (!startsWith(b, at, eventStart)) return -1;
  let i = at + eventStart.length;
  const name = i;
  while (i < b.length && b[i] !== QUOTE) {
    const c = b[i++] as number;
    if (c < 0x20 || c > 0x7e || c === BACKSLASH) return -1;
  }
  if (i === name || i - name > 256 || !startsWith(b, i, timestampStart)) return -1;
  i += timestampStart.length;
  const stamp = latin1(b, i, i + 24);
  if (canonicalMs(stamp) === undefined || !startsWith(b, i + 24, dataStart)) return -1;
  i += 24 + dataStart.length;
  if (b[i] !== OPEN_OBJECT) return -1;
  i = objectEnd(b, i, 1, true);
  return i > 0 && b[i] === CLOSE_OBJECT ? i + 1 : -1;
}

/** Past one value of any kind, by its brackets and strings only; JSON.parse judges it later. */
function skipValue(b: Buffer, at: number): number {
  let depth = 0;
  for (let i = at; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      for (i++; i < b.length && b[i] !== QUOTE; i++) if (b[i] === BACKSLASH) i++;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth === 0) return i;
      depth--;
    } else if (c === COMMA && depth === 0) return i;
  }
  return b.length;
}

/** One element: its own bytes when stored, else its parsed value; undefined if not JSON. */
function element(b: Buffer, at: number): { item: BatchItem; end: number } | undefined {
  const end = storedEnd(b, at);
  if (end > 0) return { item: { stored: b.subarray(at, end) }, end };
  const skipped = skipValue(b, at);
  try {
    return { item: { value: JSON.parse(utf8.decode(b.subarray(at, skipped))) }, end: skipped };
  } catch {
    return undefined;
  }
}

function scanJson(b: Buffer, maxBatch: number): BatchItem[] | undefined {
  let i = 0;
  while (isSpace(b[i])) i++;
  const single = b[i] === OPEN_OBJECT;
  if (!single && b[i++] !== OPEN_ARRAY) return undefined;
  const items: BatchItem[] = [];
  while (isSpace(b[i])) i++;
  if (single || b[i] !== CLOSE_ARRAY) {
    for (;;) {
      while (isSpace(b[i])) i++;
      const next = element(b, i);
      if (!next) return undefined;
      items.push(next.item);
      i = next.end;
      while (isSpace(b[i])) i++;
      if (single || b[i] === CLOSE_ARRAY) break;
      if (b[i++] !== COMMA) return undefined;
    }
  }
  if (!single) i++;
  while (isSpace(b[i])) i++;
  if (i !== b.length) return undefined;
  if (items.length > maxBatch && !single) throw tooMany(maxBatch);
  return items;
}

function scanNdjson(b: Buffer, maxBatch: number): BatchItem[] {
  const items: BatchItem[] = [];
  let line = 0;
  for (let start = 0; start <= b.length; line++) {
    let end = b.indexOf(NEWLINE, start);
    if (end === -1) end = b.length;
    const next = end + 1;
    let from = start;
    let to = end;
    start = next;
    while (from < to && isTrimmed(b[from])) from++;
    while (to > from && isTrimmed(b[to - 1])) to--;
    let text: string | undefined;
    // Other whitespace at either end (a BOM, a no-break space) is left to trim() on the text.
    if (from < to && ((b[from] as number) >= 0x80 || (b[to - 1] as number) >= 0x80)) {
      text = utf8.decode(b.subarray(from, to)).trim();
      if (text === "") continue;
    } else if (from === to) continue;
    if (items.length === maxBatch) throw tooMany(maxBatch);
    if (text === undefined && storedEnd(b, from) === to) {
      items.push({ stored: b.subarray(from, to), line: line + 1 });
      continue;
    }
    try {
      items.push({ value: JSON.parse(text ?? utf8.decode(b.subarray(from, to))), line: line + 1 });
    } catch {
      items.push({ error: "line is not valid JSON", line: line + 1 });
    }
  }
  return items;
}

/**
 * The batch's items from the body's bytes, as parseBatch gives them from its text, with events in
 * the stored form as their bytes.
 */
export function scanBatch(body: Uint8Array, format: BatchFormat, maxBatch: number): BatchItem[] {
  const b = Buffer.from(body.buffer, body.byteOffset, body.length);
  const items = format === "json" ? scanJson(b, maxBatch) : scanNdjson(b, maxBatch);
  if (items === undefined) return parseBatch(new TextDecoder().decode(body), format, maxBatch);
  if (items.length === 0) throw noEvents();
  return items;
}
