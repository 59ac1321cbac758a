/**
 * One shared copy of strings that repeat across cached objects. `JSON.parse` gives every value its own string, so
 * 10,000 cached ExternalSecrets hold 10,000 copies of `external-secrets.io/v1`, of the store's name, of the same
 * condition message; an interned value is kept once. Only for fields with few distinct values (kinds, namespaces,
 * store names, reasons): the table is bounded, and past its size strings are returned as they are.
 *
 * @module
 */

/** A bounded string intern table. */
export class Interner {
  readonly #table = new Map<string, string>();
  readonly #lists = new Map<string, readonly string[]>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** The shared copy of `s` (`s` itself the first time, or when the table is full); other values pass through. */
  string<T>(s: T): T {
    if (typeof s !== "string") return s;
    const have = this.#table.get(s);
    if (have !== undefined) return have as T;
    if (this.#table.size < this.#max) this.#table.set(s, s);
    return s;
  }

  /** The shared, frozen copy of a list of strings (key names that every Secret of a shape carries). */
  list(items: readonly string[]): readonly string[] {
    const key = `\u0000list\u0000${items.join("\u0000")}`;
    const have = this.#lists.get(key);
    if (have !== undefined) return have;
    const copy = Object.freeze(items.map((s) => this.string(s)));
    if (this.#lists.size < this.#max) this.#lists.set(key, copy);
    return copy;
  }

  /** Distinct strings and lists held. */
  get size(): number {
    return this.#table.size + this.#lists.size;
  }
}

/** The process's table: the informer caches share it. */
export const interned: Interner = new Interner();
