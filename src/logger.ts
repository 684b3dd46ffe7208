export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

type Sink = (line: string) => void;

let pending: string[] = [];
let scheduled = false;

/** Writes the lines gathered so far; also called right before the process exits. */
export function flushLogs() {
  scheduled = false;
  if (pending.length === 0) return;
  const text = pending.join("");
  pending = [];
  process.stdout.write(text);
}

/**
 * Lines are gathered and written once per turn of the event loop: under load one write carries
 * many requests' lines instead of one system call each.
 */
const stdout: Sink = (line) => {
  pending.push(`${line}\n`);
  if (pending.length >= 256) flushLogs();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(flushLogs);
  }
};

/** Errors lose their fields in JSON.stringify; keep what an operator needs to act on them. */
function serialize(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  return value;
}

/** One JSON object per line, so that log shippers need no parsing rules. */
export function createLogger(level: LogLevel = "info", sink: Sink = stdout, base: LogFields = {}) {
  const threshold = logLevels.indexOf(level);

  const write = (at: LogLevel, msg: string, fields?: LogFields) => {
    if (logLevels.indexOf(at) < threshold) return;
    const record: LogFields = {
      time: new Date().toISOString(),
      level: at,
      msg,
      ...base,
      ...fields,
    };
    // Only warnings and errors carry Error values; the per-request info line skips the walk.
    if (at === "warn" || at === "error") {
      for (const key in record) record[key] = serialize(record[key]);
    }
    sink(JSON.stringify(record));
  };

  const logger: Logger = {
    debug: (msg, fields) => write("debug", msg, fields),
    info: (msg, fields) => write("info", msg, fields),
    warn: (msg, fields) => write("warn", msg, fields),
    error: (msg, fields) => write("error", msg, fields),
    child: (fields) => createLogger(level, sink, { ...base, ...fields }),
  };
  return logger;
}

/** For tests and tools that must stay quiet. */
export const silentLogger: Logger = createLogger("error", () => {});
