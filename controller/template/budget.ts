/**
 * The per-render budget: a template is tenant input, and Go's engine has no limits, so one ExternalSecret could
 * freeze or OOM the controller (`range until 1000000000`, `randAlphaNum 500000000`). Every render runs under a
 * {@link Budget}: steps (actions, range iterations, function calls), the size of every string or list a function
 * builds (checked before building where the size is known up front), the output, the total built, and wall time.
 *
 * The engine is synchronous, so the budget of the render in progress is module state ({@link withBudget}).
 *
 * @module
 */

import { GoError } from "./func.ts";

/** Limits of one render (all templates of one ExternalSecret). Sizes are in characters (UTF-16 code units). */
export interface TemplateLimits {
  /** Actions, range iterations and function calls. */
  maxSteps: number;
  /** Total output of all templates (a Secret holds at most 1 MiB). */
  maxOutputSize: number;
  /** Any one string a function builds (intermediate values may exceed the output a little: indent, b64enc). */
  maxStringSize: number;
  /** Elements of any one list or map a function builds. */
  maxListLength: number;
  /** Everything functions build during the render, summed (bounds garbage as well as results). */
  maxTotalSize: number;
  /** Wall time of the render, in milliseconds. */
  timeoutMs: number;
}

/** The limits the controller and `kubectl externalsecret render` apply (see docs/template_differences.md). */
export const DEFAULT_TEMPLATE_LIMITS: Readonly<TemplateLimits> = Object.freeze({
  maxSteps: 1_000_000,
  maxOutputSize: 1 << 20,
  maxStringSize: 4 << 20,
  maxListLength: 100_000,
  maxTotalSize: 64 << 20,
  timeoutMs: 10_000,
});

/** Which limit a render ran into (the Ready message names it). */
export type LimitName = keyof TemplateLimits;

/**
 * A limit was exceeded inside a function: reported like a Go function error ("error calling until: ..."), so the
 * message carries the template position. Never carries a value, only sizes.
 */
export class TemplateLimitError extends GoError {
  constructor(readonly limit: LimitName, message: string) {
    super(message);
  }
}

/**
 * Thrown through the engine when a render's time slice ends before it finishes (not an error of the template:
 * the caller re-runs it off the event loop). Never becomes a TemplateError.
 */
export class RenderPreempted extends Error {
  override readonly name = "RenderPreempted";
  /**
   * @param repeatable the template itself needs the worker (its steps, a heavy function), so it will next time too;
   * false when only the clock ran out (a busy machine may deschedule the event loop in the middle of any render)
   */
  constructor(message: string, readonly repeatable: boolean) {
    super(message);
  }
}

/** The in-process attempt of a render that may move to a worker: it gives up after this many steps or ms. */
export interface Slice {
  steps: number;
  ms: number;
}

const CHECK_EVERY = 256;

/** The running account of one render. */
export class Budget {
  readonly limits: Readonly<TemplateLimits>;
  steps = 0;
  output = 0;
  total = 0;
  /** The render is a time-sliced attempt on the event loop (heavy functions preempt it at once). */
  readonly sliced: boolean;
  private readonly deadline: number;
  private readonly sliceEnd: number;
  private readonly sliceSteps: number;

  /**
   * @param slice when set, the render gives up with {@link RenderPreempted} after that many steps or milliseconds;
   * the limits still apply on top. Steps are the measure that counts (wall time includes whatever else the machine
   * runs); the clock is a backstop for costly single calls.
   */
  constructor(limits: Partial<TemplateLimits> = {}, slice?: Slice) {
    this.limits = Object.keys(limits).length === 0
      ? DEFAULT_TEMPLATE_LIMITS
      : { ...DEFAULT_TEMPLATE_LIMITS, ...limits };
    const now = performance.now();
    this.deadline = now + this.limits.timeoutMs;
    this.sliceEnd = slice === undefined ? Infinity : now + slice.ms;
    this.sliceSteps = slice?.steps ?? Infinity;
    this.sliced = slice !== undefined;
  }

  /** One step (an action, a range iteration, a function call). Returns a limit message, or undefined. */
  step(): string | undefined {
    if (++this.steps > this.limits.maxSteps) {
      return `template limit: more than ${this.limits.maxSteps} steps (actions, iterations and function calls)`;
    }
    if (this.steps > this.sliceSteps) throw new RenderPreempted("step slice used up", true);
    if (this.steps % CHECK_EVERY === 0) return this.checkTime();
    return undefined;
  }

  /** Checks the clock (also called after a function that may be slow). */
  checkTime(): string | undefined {
    const now = performance.now();
    if (now > this.sliceEnd) throw new RenderPreempted("time slice used up", false);
    if (now > this.deadline) return `template limit: rendering took longer than ${this.limits.timeoutMs} ms`;
    return undefined;
  }

  /** Accounts for output written; returns a limit message, or undefined. */
  write(n: number): string | undefined {
    this.output += n;
    if (this.output > this.limits.maxOutputSize) {
      return `template limit: output larger than ${this.limits.maxOutputSize} characters`;
    }
    return undefined;
  }

  /** Before a function builds a string of `n` characters. */
  string(n: number | bigint): void {
    if (!(n <= this.limits.maxStringSize)) {
      throw new TemplateLimitError(
        "maxStringSize",
        `template limit: a string of ${fmt(n)} characters is larger than ${this.limits.maxStringSize}`,
      );
    }
    this.charge(Number(n));
  }

  /** Before a function builds a list (or map) of `n` elements. */
  list(n: number | bigint): void {
    if (!(n <= this.limits.maxListLength)) {
      throw new TemplateLimitError(
        "maxListLength",
        `template limit: a list of ${fmt(n)} elements is longer than ${this.limits.maxListLength}`,
      );
    }
    this.charge(Number(n));
  }

  private charge(n: number): void {
    this.total += n;
    if (this.total > this.limits.maxTotalSize) {
      throw new TemplateLimitError(
        "maxTotalSize",
        `template limit: functions built more than ${this.limits.maxTotalSize} characters in all`,
      );
    }
  }
}

function fmt(n: number | bigint): string {
  return typeof n === "bigint" || Number.isFinite(n) ? String(n) : "too many";
}

let current: Budget | null = null;

/** Runs `f` with `b` as the budget of the render in progress (renders do not nest, but tolerate it). */
export function withBudget<R>(b: Budget, f: () => R): R {
  const outer = current;
  current = b;
  try {
    return f();
  } finally {
    current = outer;
  }
}

// Outside a render (a function called directly, e.g. by a test), the default limits still bound sizes.
let fallback: Budget | null = null;

/** The budget of the render in progress. */
export function budget(): Budget {
  return current ?? (fallback ??= new Budget({ maxTotalSize: Infinity, timeoutMs: Infinity }));
}

/** Checks a size (an int argument may be a bigint) before building a string of it. */
export function reserveString(n: number | bigint): void {
  budget().string(n);
}

/** Checks a length before building a list of it. */
export function reserveList(n: number | bigint): void {
  budget().list(n);
}
