/**
 * Incremental splitting of a byte stream into lines (the apiserver's JSON watch stream: one event per line).
 *
 * @module
 */

/** Options of {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /**
   * Longest line accepted, in UTF-16 code units; longer means a broken stream and throws. Objects are at most
   * ~1.5 MiB in etcd, so an event line is a few MiB at worst. @default {67108864}
   */
  maxLineLength?: number;
}

/**
 * Splits UTF-8 chunks into lines: handles lines split across chunks, several lines per chunk, multi-byte characters
 * split across chunks, `\r\n`, and blank lines (skipped). Long lines are collected as parts and joined once, so the
 * cost stays linear in the line length.
 */
export class LineSplitter {
  readonly #decoder = new TextDecoder("utf-8", { fatal: false });
  readonly #max: number;
  #parts: string[] = [];
  #pending = 0;

  constructor(options: LineSplitterOptions = {}) {
    this.#max = options.maxLineLength ?? 64 * 1024 * 1024;
  }

  /** Feeds a chunk; returns the lines it completed (without line terminators). */
  push(chunk: Uint8Array): string[] {
    return this.#split(this.#decoder.decode(chunk, { stream: true }));
  }

  /** Ends the input; returns the last line if it had no terminator. */
  flush(): string[] {
    const out = this.#split(this.#decoder.decode());
    if (this.#parts.length > 0) {
      const line = this.#take("");
      if (line.trim() !== "") out.push(line);
    }
    return out;
  }

  #split(text: string): string[] {
    const out: string[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      const line = this.#take(text.slice(start, nl));
      if (line.trim() !== "") out.push(line.endsWith("\r") ? line.slice(0, -1) : line);
      start = nl + 1;
    }
    if (start < text.length) {
      const rest = text.slice(start);
      this.#pending += rest.length;
      if (this.#pending > this.#max) {
        this.#parts = [];
        this.#pending = 0;
        throw new RangeError(`Cannot read stream: a line is longer than ${this.#max} characters`);
      }
      this.#parts.push(rest);
    }
    return out;
  }

  #take(last: string): string {
    if (this.#parts.length === 0) return last;
    this.#parts.push(last);
    const line = this.#parts.join("");
    this.#parts = [];
    this.#pending = 0;
    return line;
  }
}
