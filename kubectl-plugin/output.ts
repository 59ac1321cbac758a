/**
 * Everything the plugin shows a person: kubectl-style tables (upper-case headers, columns three spaces apart),
 * kubectl's age format (`5m`, `2d3h`), colour only on a terminal (`NO_COLOR` honoured), JSON/YAML printing, and
 * the one place that writes to stdout/stderr.
 *
 * @module
 */

/** The `apiVersion` of the plugin's own result documents (FleetStatus, WhereUsed, Explanation, SyncResult...). */
export const RESULT_API_VERSION = "kubectl-externalsecret.kv-operator.io/v1";

/** Where text goes: stdout and stderr, each with whether it is a terminal. */
export interface Streams {
  out(text: string): void;
  err(text: string): void;
  outIsTerminal: boolean;
  errIsTerminal: boolean;
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** The process's stdout/stderr. A closed pipe (`| head`) ends output quietly instead of failing. */
export function processStreams(): Streams {
  const guard = (f: typeof Deno.stdout | typeof Deno.stderr) => (text: string): void => {
    try {
      writeAll(f, text);
    } catch (e) {
      if (e instanceof Deno.errors.BrokenPipe) Deno.exit(0);
      throw e;
    }
  };
  return {
    out: guard(Deno.stdout),
    err: guard(Deno.stderr),
    outIsTerminal: Deno.stdout.isTerminal(),
    errIsTerminal: Deno.stderr.isTerminal(),
  };
}

/** Colour is used only on a terminal, and never when `NO_COLOR` is set to anything but the empty string. */
export function colorEnabled(isTerminal: boolean, env: (name: string) => string | undefined): boolean {
  const noColor = env("NO_COLOR");
  if (noColor !== undefined && noColor !== "") return false;
  return isTerminal;
}

// deno-lint-ignore no-control-regex -- ANSI colour codes start with ESC by definition
const ANSI = /\x1b\[[0-9;]*m/g;

/** The printed width of a string: ANSI colour codes take no room. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/** Output with optional colour; `out`/`err` add the newline. */
export class Output {
  readonly #streams: Streams;
  readonly #colorOut: boolean;
  readonly #colorErr: boolean;

  constructor(streams: Streams, env: (name: string) => string | undefined = (n) => Deno.env.get(n)) {
    this.#streams = streams;
    this.#colorOut = colorEnabled(streams.outIsTerminal, env);
    this.#colorErr = colorEnabled(streams.errIsTerminal, env);
  }

  /** Whether stdout gets colour. */
  get color(): boolean {
    return this.#colorOut;
  }

  /** A line on stdout. */
  out(text: string): void {
    this.#streams.out(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** A line on stderr. */
  err(text: string): void {
    this.#streams.err(text.endsWith("\n") ? text : `${text}\n`);
  }

  /** `Warning: ...` on stderr (yellow on a terminal), as kubectl prints them. */
  warn(text: string): void {
    this.err(`${this.#paint("33", "Warning:", this.#colorErr)} ${text}`);
  }

  /** `error: ...` on stderr. */
  error(text: string): void {
    this.err(text.startsWith("error:") || text.startsWith("Error ") ? text : `error: ${text}`);
  }

  green(text: string): string {
    return this.#paint("32", text, this.#colorOut);
  }
  red(text: string): string {
    return this.#paint("31", text, this.#colorOut);
  }
  yellow(text: string): string {
    return this.#paint("33", text, this.#colorOut);
  }
  bold(text: string): string {
    return this.#paint("1", text, this.#colorOut);
  }

  /** The same output with stdout dropped (a command that prints one result document at the end). */
  withoutStdout(): Output {
    const streams = this.#streams;
    return new Output({ ...streams, out: () => {} }, (n) => n === "NO_COLOR" && !this.#colorErr ? "1" : undefined);
  }

  /** The same output with every line prefixed (a fleet run: `[context] `). */
  prefixed(prefix: string): Output {
    const streams = this.#streams;
    const add = (text: string): string => text.replace(/^(?=.)/gm, prefix);
    return new Output(
      { ...streams, out: (t) => streams.out(add(t)), err: (t) => streams.err(add(t)) },
      (n) => n === "NO_COLOR" && !this.#colorOut ? "1" : undefined,
    );
  }

  /** A condition status coloured by meaning: True green, False red, anything else yellow. */
  status(value: string): string {
    return value === "True" ? this.green(value) : value === "False" ? this.red(value) : this.yellow(value);
  }

  #paint(code: string, text: string, on: boolean): string {
    return on && text !== "" ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

/**
 * A table as kubectl prints it: headers upper-cased, each column as wide as its widest cell, three spaces between
 * columns, no trailing spaces. Cells may carry colour codes.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  opts: { keepCase?: boolean; noHeaders?: boolean } = {},
): string {
  const all = [opts.keepCase ? [...headers] : headers.map((h) => h.toUpperCase()), ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => visibleWidth(r[i] ?? ""))));
  const lines = all.map((r) =>
    r.map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat(widths[i]! - visibleWidth(cell) + 3)))
      .join("").trimEnd()
  );
  // --no-headers: the columns keep the widths the headers gave them, as kubectl's do.
  return (opts.noHeaders ? lines.slice(1) : lines).join("\n");
}

/**
 * A duration as kubectl shows ages (`k8s.io/apimachinery/pkg/util/duration.HumanDuration`): `45s`, `5m30s`, `47m`,
 * `5h3m`, `23h`, `2d3h`, `12d`, `3y40d`. Up to one second in the future counts as now (clock skew).
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (days < 365 * 8) return days % 365 === 0 ? `${years}y` : `${years}y${days % 365}d`;
  return `${years}y`;
}

/** The age of an RFC 3339 timestamp (`<unknown>` when absent or unparsable). */
export function age(timestamp: string | null | undefined, now: Date): string {
  const t = timestamp ? Date.parse(timestamp) : NaN;
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now.getTime() - t);
}

/** Shortens text to `max` characters with an ellipsis; newlines become spaces. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, " ");
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}

/** A byte count as people read it: `312 B`, `4.2 KiB`. */
export function byteSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** JSON as kubectl prints it (4-space indent). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 4);
}

/** YAML as kubectl prints it; the YAML library is loaded only when YAML is asked for. */
export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import("yaml");
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd();
}
