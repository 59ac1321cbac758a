/**
 * The benches' command lines (`--flag value` or `--flag=value`), read one flag at a time; every mistake throws with
 * the flag named and the bench's usage line.
 *
 * @module
 */
import { parseGoDuration } from "../../controller/reconcile/refresh.ts";

/** Walks `args`: `for (const flag of reader)`, then one of the value readers for a flag that takes a value. */
export class FlagReader implements Iterable<string> {
  readonly #args: readonly string[];
  readonly #usage: string;
  #i = -1;
  #inline: string | undefined;
  #flag = "";

  constructor(args: readonly string[], usage: string) {
    this.#args = args;
    this.#usage = usage;
  }

  *[Symbol.iterator](): Iterator<string> {
    while (++this.#i < this.#args.length) {
      const arg = this.#args[this.#i]!;
      const eq = arg.indexOf("=");
      this.#flag = eq > 0 ? arg.slice(0, eq) : arg;
      this.#inline = eq > 0 ? arg.slice(eq + 1) : undefined;
      yield this.#flag;
    }
  }

  /** The current flag's value (after `=`, else the next argument), if any. */
  value(): string | undefined {
    return this.#inline ?? this.#args[++this.#i];
  }

  /** A non-empty value; `what` says what it should be ("a file name"). */
  text(what: string): string {
    const v = this.value();
    if (!v) throw this.error(`${this.#flag} expects ${what}`);
    return v;
  }

  /** A whole number ≥ `min`. */
  integer(min = 1): number {
    const v = this.value();
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) {
      throw this.error(`${this.#flag} expects an integer ≥ ${min}, got ${JSON.stringify(v ?? "")}`);
    }
    return n;
  }

  /** A Go duration of at least `min` (`"10s"`), with `example` in the message when it is not one. */
  duration(min: string, example: string): { text: string; ms: number } {
    const v = this.value() ?? "";
    let ms: number;
    try {
      ms = parseGoDuration(v);
    } catch {
      throw this.error(`${this.#flag} expects a duration such as ${example}, got ${JSON.stringify(v)}`);
    }
    if (ms < parseGoDuration(min)) throw this.error(`${this.#flag} must be at least ${min}, got ${JSON.stringify(v)}`);
    return { text: v, ms };
  }

  /** The current argument is none of the bench's. */
  unknown(): Error {
    return this.error(`unknown argument ${JSON.stringify(this.#args[this.#i])}`);
  }

  /** `message` with the usage line under it. */
  error(message: string): Error {
    return new Error(`${message}\n${this.#usage}`);
  }
}
