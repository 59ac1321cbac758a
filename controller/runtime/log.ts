/**
 * Logging, one line per record, to one sink (stderr by default), in one of two formats:
 * - `json` (default): one object per line, `{"ts","level","msg",...fields}`;
 * - `text`: klog's layout, as kubectl and controller-runtime print it, for people:
 *   `I0102 03:04:05.678000   12345 kv-operator] "synced" controller="externalsecret" namespace="jenkins" keys=2`
 *   (severity letter I/W/E, D for debug; month-day; time in UTC; pid; the `logger` field; the message quoted; then
 *   `key=value` with strings quoted, numbers and booleans bare, errors as their message chain, objects as JSON).
 *
 * Guarantees:
 * - A JSON line is always valid JSON, whatever the fields hold (errors, bigints, cycles, `undefined`); a text line is
 *   always one line (newlines in values are escaped).
 * - Errors are written as `{name, message, reason?, cause?}`; the stack only when the logger runs at `debug`.
 * - With a {@linkcode Redactor}, every registered secret value (and its base64 form) is replaced by `[REDACTED]` in
 *   every string of the line, message included, before the line leaves the process. This is defence in depth: the
 *   code must still never log values. See {@linkcode Redactor} for what is and is not caught.
 * - The logger never throws: a sink that throws is ignored.
 *
 * @module
 */

/** Severity, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether `s` names a level; for flag parsing. */
export function isLogLevel(s: string): s is LogLevel {
  return Object.hasOwn(LEVEL_RANK, s);
}

/** Extra fields of a line (`controller`, `namespace`, `name`, `err`, ...). */
export type LogFields = Readonly<Record<string, unknown>>;

/** An error as it appears in a log line. */
export interface SerializedError {
  name: string;
  message: string;
  reason?: string;
  status?: number;
  cause?: SerializedError | string;
  stack?: string;
}

/** How lines are written: JSON objects (machines) or klog-style text (people). */
export type LogFormat = "json" | "text";

/** Whether `s` names a format; for flag parsing. */
export function isLogFormat(s: string): s is LogFormat {
  return s === "json" || s === "text";
}

/** Where lines go: one call per line, without the trailing newline. */
export type LogSink = (line: string) => void;

const REDACTED = "[REDACTED]";

/** A secret value's usual disguises: itself, base64, hex, upper and lower case (the redactor and the leak scanner). */
export function formsOf(value: string | Uint8Array): Set<string> {
  const bytes = typeof value === "string" ? new TextEncoder().encode(value) : value;
  const text = typeof value === "string" ? value : new TextDecoder().decode(value);
  return new Set([text, bytes.toBase64(), bytes.toHex(), text.toUpperCase(), text.toLowerCase()]);
}

/**
 * A set of secret values that must never reach a log line. The provider layer registers every value it fetches.
 *
 * What it catches: any occurrence of a registered value, or of its standard base64 encoding, as a substring of any
 * string in the line (message, field values, error messages); overlapping occurrences are covered as one span.
 * What it does not catch: values shorter than `minLength` (too many false positives: "true", "1234"), fragments of
 * a value (one line of a multi-line PEM), other encodings (URL-encoded, hex, JSON-escaped). Old values stay
 * registered until evicted (oldest first, beyond `maxEntries`), since a rotated secret may still be live somewhere.
 *
 * Cost: nothing while empty. Each value is indexed by one `minLength`-character "anchor" taken from the value where
 * it is rarest among the anchors already indexed, so values that share a prefix (PEM headers, JWTs, connection
 * strings) still spread over distinct anchors. Redacting a string is then one Map lookup per character, plus a
 * `startsWith` check per candidate that shares an anchor: independent of how many values are registered.
 */
export class Redactor {
  readonly #minLength: number;
  readonly #maxEntries: number;
  /** Registered values (insertion order, oldest first, for eviction) with their anchor. */
  readonly #values = new Map<string, { anchor: string; offset: number }>();
  /** Values by anchor, with the anchor's offset in the value. */
  readonly #byAnchor = new Map<string, { value: string; offset: number }[]>();

  constructor(options: { minLength?: number; maxEntries?: number } = {}) {
    this.#minLength = Math.max(1, options.minLength ?? 4);
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  /** Number of registered strings (a value and its base64 form count as two). */
  get size(): number {
    return this.#values.size;
  }

  /**
   * Registers a secret value (string or bytes) and the forms a template or an error most often turns it into: its
   * base64 and hex encodings and its upper- and lower-case spellings. Forms shorter than `minLength` are ignored.
   */
  add(value: string | Uint8Array): void {
    for (const form of formsOf(value)) this.#addOne(form);
  }

  /** Forgets a value (and its other forms). */
  delete(value: string | Uint8Array): void {
    for (const form of formsOf(value)) this.#deleteOne(form);
  }

  #addOne(v: string): void {
    const k = this.#minLength;
    if (v.length < k || this.#values.has(v)) return;
    // The anchor is the rarest k-gram of the value among existing anchors (first one on ties).
    let best = 0;
    let bestCount = Infinity;
    for (let j = 0; j + k <= v.length && bestCount > 0; j++) {
      const count = this.#byAnchor.get(v.slice(j, j + k))?.length ?? 0;
      if (count < bestCount) {
        best = j;
        bestCount = count;
      }
    }
    const anchor = v.slice(best, best + k);
    this.#values.set(v, { anchor, offset: best });
    const list = this.#byAnchor.get(anchor);
    if (list === undefined) this.#byAnchor.set(anchor, [{ value: v, offset: best }]);
    else list.push({ value: v, offset: best });
    while (this.#values.size > this.#maxEntries) {
      const oldest = this.#values.keys().next().value;
      if (oldest === undefined) break;
      this.#deleteOne(oldest);
    }
  }

  #deleteOne(v: string): void {
    const entry = this.#values.get(v);
    if (entry === undefined) return;
    this.#values.delete(v);
    const list = this.#byAnchor.get(entry.anchor);
    if (list === undefined) return;
    const i = list.findIndex((c) => c.value === v);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#byAnchor.delete(entry.anchor);
  }

  /** `s` with every occurrence of a registered value replaced by `[REDACTED]` (overlaps merged into one). */
  redact(s: string): string {
    const k = this.#minLength;
    if (this.#values.size === 0 || s.length < k) return s;
    let spans: [number, number][] | undefined;
    for (let i = 0; i + k <= s.length; i++) {
      const candidates = this.#byAnchor.get(s.slice(i, i + k));
      if (candidates === undefined) continue;
      for (const c of candidates) {
        const start = i - c.offset;
        if (start >= 0 && s.startsWith(c.value, start)) (spans ??= []).push([start, start + c.value.length]);
      }
    }
    if (spans === undefined) return s;
    spans.sort((a, b) => a[0] - b[0]);
    let out = "";
    let copied = 0;
    let end = -1;
    for (const [a, b] of spans) {
      if (a > end) {
        out += s.slice(copied, a) + REDACTED;
        end = b;
      } else if (b > end) end = b;
      copied = end;
    }
    return out + s.slice(copied);
  }
}

/**
 * An error as a plain object for a log line: `name`, `message`, and `reason`/`status` when the error carries them
 * (condition reasons, HTTP codes), with its `cause` chain (up to 5 deep). The stack only when asked.
 */
export function serializeError(err: unknown, withStack = false): SerializedError {
  return serialize(err, withStack, 0);
}

function serialize(err: unknown, withStack: boolean, depth: number): SerializedError {
  if (!(err instanceof Error)) {
    return { name: "NonError", message: typeof err === "string" ? err : safeString(err) };
  }
  const out: SerializedError = { name: err.name, message: err.message };
  const extra = err as Error & { reason?: unknown; status?: unknown };
  if (typeof extra.reason === "string") out.reason = extra.reason;
  if (typeof extra.status === "number") out.status = extra.status;
  if (err.cause !== undefined && depth < 5) {
    out.cause = err.cause instanceof Error ? serialize(err.cause, withStack, depth + 1) : safeString(err.cause);
  }
  if (withStack && err.stack !== undefined) out.stack = err.stack;
  return out;
}

function safeString(v: unknown): string {
  try {
    return typeof v === "object" && v !== null ? JSON.stringify(v) ?? String(v) : String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Options of {@linkcode Logger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped. @default {"info"} */
  level?: LogLevel;
  /** Where lines go. @default {writes the line and "\n" to stderr} */
  sink?: LogSink;
  /** Fields bound to every line (e.g. `controller`). */
  fields?: LogFields;
  /** Secret values to scrub from every line. */
  redactor?: Redactor;
  /** Clock for `ts`. @default {() => new Date()} */
  now?: () => Date;
  /** Line format. @default {"json"} */
  format?: LogFormat;
  /** The pid in text lines. @default {Deno.pid} */
  pid?: number;
}

interface Shared {
  format: LogFormat;
  pid: number;
  minRank: number;
  level: LogLevel;
  sink: LogSink;
  redactor: Redactor | undefined;
  now: () => Date;
}

/**
 * A JSON-lines logger. Children share the parent's level, sink and redactor, and add bound fields; a field given
 * at the call wins over a bound one with the same name.
 */
export class Logger {
  #shared: Shared;
  #fields: LogFields;

  constructor(options: LoggerOptions = {}) {
    const level = options.level ?? "info";
    this.#shared = {
      format: options.format ?? "json",
      pid: options.pid ?? Deno.pid,
      level,
      minRank: LEVEL_RANK[level],
      sink: options.sink ?? writeStderr,
      redactor: options.redactor,
      now: options.now ?? (() => new Date()),
    };
    this.#fields = options.fields ?? {};
  }

  /** The minimum level written. */
  get level(): LogLevel {
    return this.#shared.level;
  }

  /** Changes the minimum level for this logger, its parent and all its children. */
  setLevel(level: LogLevel): void {
    this.#shared.level = level;
    this.#shared.minRank = LEVEL_RANK[level];
  }

  /** Whether a line at `level` would be written (to skip building costly fields). */
  enabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.#shared.minRank;
  }

  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    const c = new Logger();
    c.#shared = this.#shared;
    c.#fields = { ...this.#fields, ...fields };
    return c;
  }

  /** Writes a debug line. */
  debug(msg: string, fields?: LogFields): void {
    this.#write("debug", msg, fields);
  }

  /** Writes an info line. */
  info(msg: string, fields?: LogFields): void {
    this.#write("info", msg, fields);
  }

  /** Writes a warn line. */
  warn(msg: string, fields?: LogFields): void {
    this.#write("warn", msg, fields);
  }

  /** Writes an error line. */
  error(msg: string, fields?: LogFields): void {
    this.#write("error", msg, fields);
  }

  #write(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    const shared = this.#shared;
    if (LEVEL_RANK[level] < shared.minRank) return;
    const line = formatLine(shared, level, msg, this.#fields, fields);
    try {
      shared.sink(line);
    } catch {
      // Logging must never take the controller down.
    }
  }
}

function formatLine(
  shared: Shared,
  level: LogLevel,
  msg: string,
  bound: LogFields,
  fields: LogFields | undefined,
): string {
  const withStack = shared.minRank === LEVEL_RANK.debug;
  const redactor = shared.redactor !== undefined && shared.redactor.size > 0 ? shared.redactor : undefined;
  const record: Record<string, unknown> = { ts: shared.now().toISOString(), level, msg };
  for (const k in bound) if (!(k in record)) record[k] = bound[k];
  if (fields !== undefined) {
    for (const k in fields) if (k !== "ts" && k !== "level" && k !== "msg") record[k] = fields[k];
  }
  const replacer = (_key: string, value: unknown): unknown => {
    if (typeof value === "string") return redactor === undefined ? value : redactor.redact(value);
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Error) return serializeError(value, withStack);
    return value;
  };
  let json: string;
  try {
    json = JSON.stringify(record, replacer);
  } catch (e) {
    // A cycle or a throwing toJSON in the fields: keep the message, say why the fields are missing.
    const fallback = { ts: record.ts, level, msg, logError: e instanceof Error ? e.message : String(e) };
    json = JSON.stringify(fallback, replacer);
  }
  // Text is rendered from the JSON form, so both formats carry exactly the same (redacted) content.
  return shared.format === "json" ? json : textLine(JSON.parse(json), shared.now(), shared.pid);
}

const SEVERITY: Record<string, string> = { debug: "D", info: "I", warn: "W", error: "E" };

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** klog's header, `Lmmdd hh:mm:ss.uuuuuu pid name]`, then the quoted message and `key=value` pairs. */
function textLine(record: Record<string, unknown>, at: Date, pid: number): string {
  const { ts, level, msg, logger, ...fields } = record;
  const d = typeof ts === "string" ? new Date(ts) : at;
  const header = `${SEVERITY[String(level)] ?? "I"}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${
      pad(d.getUTCMilliseconds(), 3)
    }000 ` +
    `${String(pid).padStart(7)} ${typeof logger === "string" ? logger : "kv-operator"}]`;
  let line = `${header} ${JSON.stringify(String(msg))}`;
  for (const [k, v] of Object.entries(fields)) line += ` ${k}=${textValue(v)}`;
  return line;
}

function textValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  if (isSerializedError(v)) return JSON.stringify(errorChain(v));
  return JSON.stringify(v);
}

function isSerializedError(v: unknown): v is SerializedError {
  return typeof v === "object" && v !== null && typeof (v as SerializedError).name === "string" &&
    typeof (v as SerializedError).message === "string";
}

/** `message: cause: cause…`, skipping a cause already part of the message (as Go's wrapped errors read). */
function errorChain(e: SerializedError): string {
  let out = e.message;
  for (let c = e.cause; c !== undefined; c = typeof c === "string" ? undefined : c.cause) {
    const m = typeof c === "string" ? c : c.message;
    if (m && !out.includes(m)) out += `: ${m}`;
  }
  return out;
}

const encoder = new TextEncoder();

/** The default sink: the line and a newline to stderr, synchronously (so lines survive a crash right after). */
export function writeStderr(line: string): void {
  const bytes = encoder.encode(`${line}\n`);
  let off = 0;
  while (off < bytes.length) off += Deno.stderr.writeSync(bytes.subarray(off));
}
