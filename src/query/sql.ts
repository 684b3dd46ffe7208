/**
 * A small SQL scanner that knows just enough of ClickHouse's lexical rules to find the words,
 * quoted identifiers and symbols of a statement while skipping string literals and comments.
 *
 * Where old and new servers read text differently, it errs towards reading text as code: block
 * comments do not nest, `#` does not start a comment, non-ASCII characters split words. Reading
 * too much as code can only refuse a harmless query; reading code as a comment could let one
 * through.
 */

export type TokenKind = "word" | "number" | "quoted" | "string" | "symbol";

export interface Token {
  kind: TokenKind;
  /** Words and symbols as written, quoted identifiers without their quotes; strings are empty. */
  text: string;
  start: number;
  end: number;
  /** A quoted identifier that holds a backslash escape. */
  escaped?: boolean;
}

export interface SqlScan {
  tokens: Token[];
  /** Where the statement ends: after its last token that is not a trailing semicolon. */
  end: number;
}

const SPACE = new Set([9, 10, 11, 12, 13, 32]);
const BACKSLASH = 92;

const isWordChar = (code: number) =>
  (code >= 97 && code <= 122) ||
  (code >= 65 && code <= 90) ||
  (code >= 48 && code <= 57) ||
  code === 95;
const isDigit = (code: number) => code >= 48 && code <= 57;

/** Finds the end of a quoted run opened at `start`; a doubled quote stays inside. */
function closeQuote(sql: string, start: number): { end: number; escaped: boolean } {
  const quote = sql.charCodeAt(start);
  let escaped = false;
  let i = start + 1;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    if (code === BACKSLASH) {
      escaped = true;
      i += 2;
    } else if (code === quote && sql.charCodeAt(i + 1) === quote) {
      i += 2;
    } else if (code === quote) {
      return { end: i + 1, escaped };
    } else {
      i += 1;
    }
  }
  return { end: sql.length, escaped };
}

/** A quoted identifier's name: its content, with doubled quotes read as one. */
function unquote(sql: string, start: number, end: number): string {
  const quote = sql[start] ?? "";
  const closed = end - start >= 2 && sql[end - 1] === quote;
  return sql.slice(start + 1, closed ? end - 1 : end).replaceAll(quote + quote, quote);
}

export function scanSql(sql: string): SqlScan {
  const tokens: Token[] = [];
  let end = 0;
  let i = 0;
  while (i < sql.length) {
    const code = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    const start = i;

    if (SPACE.has(code)) {
      i += 1;
      continue;
    }
    if (code === 45 && next === 45) {
      const newline = sql.indexOf("\n", i);
      i = newline === -1 ? sql.length : newline + 1;
      continue;
    }
    if (code === 47 && next === 42) {
      const close = sql.indexOf("*/", i + 2);
      i = close === -1 ? sql.length : close + 2;
      continue;
    }

    let token: Token;
    if (code === 39) {
      i = closeQuote(sql, i).end;
      token = { kind: "string", text: "", start, end: i };
    } else if (code === 34 || code === 96) {
      const quoted = closeQuote(sql, i);
      i = quoted.end;
      token = { kind: "quoted", text: unquote(sql, start, i), start, end: i };
      if (quoted.escaped) token.escaped = true;
    } else if (isWordChar(code)) {
      while (i < sql.length && isWordChar(sql.charCodeAt(i))) i += 1;
      token = { kind: isDigit(code) ? "number" : "word", text: sql.slice(start, i), start, end: i };
    } else {
      i += 1;
      token = { kind: "symbol", text: sql.slice(start, i), start, end: i };
    }
    tokens.push(token);
    if (token.text !== ";" || token.kind !== "symbol") end = token.end;
  }
  return { tokens, end };
}

const readKeywords = new Set(["SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXISTS"]);

/** The statement's first keyword, upper-cased ("" when it starts with something else). */
export function firstKeyword(scan: SqlScan): string {
  const first = scan.tokens[0];
  return first?.kind === "word" ? first.text.toUpperCase() : "";
}

/** Statements that return rows and change nothing: the only ones worth a FORMAT and a cache. */
export function isRead(scan: SqlScan): boolean {
  const first = scan.tokens[0];
  if (first?.kind === "symbol" && first.text === "(") return true;
  return readKeywords.has(firstKeyword(scan));
}
