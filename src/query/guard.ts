import { ApiError } from "../errors";
import { firstKeyword, type SqlScan } from "./sql";

/**
 * Databases a `user` never reads, whatever the allow-list says. ClickHouse 18.16 lets every
 * account read `system` (other people's queries are in system.processes and system.query_log).
 */
export const alwaysRefusedDatabases = ["system", "information_schema"];
const alwaysRefused = new Set(alwaysRefusedDatabases);

/** Functions that take a database or table by name in a string, out of the scanner's sight. */
const refusedFunctions = new Set(["joinget", "joingetornull", "hascolumnintable"]);

/** SHOW forms that list only the current database's tables and columns. */
const allowedShow = new Set(["TABLES", "CREATE", "COLUMNS", "FULL", "TEMPORARY"]);

const refuse = (message: string) => new ApiError("query_forbidden", message);

/**
 * The checks the API adds for the `user` role on top of ClickHouse's read-only mode: no
 * identifier may name a database outside the allowed list, and no statement may reach other
 * people's queries (KILL QUERY is allowed in read-only mode; SHOW PROCESSLIST reads
 * system.processes). `otherDatabases` holds the existing databases the role may not read.
 * What it cannot see: a view or dictionary in an allowed database reads with the API's own
 * account, so whoever may create those (admin) decides what they expose to `user`.
 */
export function checkUserSql(scan: SqlScan, otherDatabases: ReadonlySet<string>): void {
  const keyword = firstKeyword(scan);
  if (keyword === "KILL") throw refuse("KILL is not allowed for the user role");
  if (keyword === "SHOW") {
    const what = scan.tokens[1]?.text.toUpperCase() ?? "";
    if (!allowedShow.has(what)) throw refuse(`SHOW ${what} is not allowed for the user role`);
  }

  const { tokens } = scan;
  for (const [i, token] of tokens.entries()) {
    if (token.kind !== "word" && token.kind !== "quoted") continue;
    // Servers disagree on what `\e` and friends mean in a quoted name; refuse rather than guess.
    if (token.escaped) throw refuse("Escapes in quoted identifiers are not allowed");
    const lower = token.text.toLowerCase();
    if (alwaysRefused.has(lower) || otherDatabases.has(token.text)) {
      throw refuse(`Database "${token.text}" is not available to the user role`);
    }
    if (token.kind === "word" && refusedFunctions.has(lower) && tokens[i + 1]?.text === "(") {
      throw refuse(`${token.text}() is not allowed for the user role`);
    }
  }
}
