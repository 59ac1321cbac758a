/**
 * The engine's error type, in a module of its own: the worker pool defines a subclass and is imported by the
 * renderer, so the class must not sit in a module of that import cycle (bundled, it would be used before defined).
 *
 * @module
 */

/** A template failed to parse or execute. The message is Go's, with secret values removed. */
export class TemplateError extends Error {
  override readonly name = "TemplateError";
  /** Name of the template (for secret templates: the key). */
  readonly templateName: string;
  /** 1-based line of the failing construct, when known. */
  readonly line?: number;
  /** Go's column: 0-based byte offset in the line, when known. */
  readonly col?: number;
  /** "parse" or "exec" (Go's two error classes), or "apply" for ESO-level failures (bad YAML, missing source). */
  readonly phase: "parse" | "exec" | "apply";

  constructor(
    message: string,
    opts: {
      templateName: string;
      phase: "parse" | "exec" | "apply";
      line?: number | undefined;
      col?: number | undefined;
    },
  ) {
    super(message);
    this.templateName = opts.templateName;
    this.phase = opts.phase;
    if (opts.line !== undefined) this.line = opts.line;
    if (opts.col !== undefined) this.col = opts.col;
  }
}
