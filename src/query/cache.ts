export interface CacheOptions {
  /** How long a result is served; 0 turns the cache off. */
  ttlMs: number;
  maxEntries: number;
  /** Bound on the bytes of keys and bodies together. */
  maxBytes: number;
  now?: () => number;
}

interface Gauge {
  set(value: number): void;
}

interface Entry {
  body: Uint8Array<ArrayBuffer>;
  bytes: number;
  expiresAt: number;
}

/**
 * Serialized query results by key, bounded by entries and bytes, least recently used first out.
 * One result may take at most a quarter of the bytes, so a single large answer cannot flush
 * everything else.
 */
export function createQueryCache(
  options: CacheOptions,
  gauges: { entries?: Gauge; bytes?: Gauge } = {},
) {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  // Request → result key, for requests whose exact text was checked before (see `alias`).
  const aliases = new Map<string, string>();
  const largest = Math.floor(options.maxBytes / 4);
  let bytes = 0;

  const report = () => {
    gauges.entries?.set(entries.size);
    gauges.bytes?.set(bytes);
  };
  const drop = (key: string, entry: Entry) => {
    entries.delete(key);
    bytes -= entry.bytes;
  };

  const get = (key: string): Uint8Array<ArrayBuffer> | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      drop(key, entry);
      report();
      return undefined;
    }
    // Map keeps insertion order: re-inserting makes this the most recently used.
    entries.delete(key);
    entries.set(key, entry);
    return entry.body;
  };

  return {
    enabled: options.ttlMs > 0,
    get,

    set(key: string, body: Uint8Array<ArrayBuffer>): void {
      if (options.ttlMs <= 0) return;
      const size = key.length + body.byteLength;
      if (size > largest) return;
      const old = entries.get(key);
      if (old) drop(key, old);

      const at = now();
      for (const [oldest, entry] of entries) {
        const full = entries.size >= options.maxEntries || bytes + size > options.maxBytes;
        if (!full && entry.expiresAt > at) break;
        drop(oldest, entry);
      }
      entries.set(key, { body, bytes: size, expiresAt: at + options.ttlMs });
      bytes += size;
      report();
    },

    /**
     * Remembers that a request (its role, user and raw text, as a key) asks for the result under
     * `key`, so a repeat is answered without decoding and checking its text again: the same text
     * passes the same checks. Only short requests are remembered, at most as many as entries.
     */
    alias(request: string, key: string): void {
      if (options.ttlMs <= 0 || request.length > maxAliasLength || aliases.has(request)) return;
      if (aliases.size >= options.maxEntries) {
        const oldest = aliases.keys().next().value;
        if (oldest !== undefined) aliases.delete(oldest);
      }
      aliases.set(request, key);
    },

    /** The result for a request seen before, if it is still cached. */
    getByAlias(request: string): Uint8Array<ArrayBuffer> | undefined {
      const key = aliases.get(request);
      return key === undefined ? undefined : get(key);
    },

    clear(): void {
      entries.clear();
      aliases.clear();
      bytes = 0;
      report();
    },

    get size() {
      return entries.size;
    },
    get bytes() {
      return bytes;
    },
  };
}

export type QueryCache = ReturnType<typeof createQueryCache>;

// Longer requests are rare on GET and decoding them is a small part of their cost anyway.
const maxAliasLength = 4096;

/**
 * Results are never shared across roles or users. The user name is length-prefixed so that no
 * choice of name can make one key read as another's.
 */
export function cacheKey(role: string, user: string, format: string, sql: string): string {
  return `${role}:${user.length}:${user}:${format}:${sql}`;
}
