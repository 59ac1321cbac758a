/**
 * A small Prometheus registry: counters, gauges and histograms with labels, written out in the text exposition
 * format 0.0.4 (what every Prometheus scraper reads). No dependency.
 *
 * Guarantees:
 * - Registering the same name twice with the same type, labels (and buckets) returns the same metric, so several
 *   controllers can share families such as `workqueue_depth{name=...}`; a conflicting definition throws.
 * - Label values are escaped (`\\`, `"`, newline); HELP text is escaped (`\\`, newline).
 * - Series can be removed (`remove(labels)`), so per-object gauges such as `externalsecret_status_condition` do not
 *   outlive their object (ESO#5223).
 * - Collectors (a gauge's `collect`, {@linkcode Registry.onCollect}) run at scrape time; one that throws does not
 *   break the scrape.
 *
 * @module
 */

/** Label values by label name. */
export type Labels = Readonly<Record<string, string>>;

/** The content type of {@linkcode Registry.expose}'s output. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Prometheus' default histogram buckets (seconds). */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Options shared by every metric. */
export interface MetricOptions {
  /** Metric name, e.g. `externalsecret_sync_calls_total`. */
  name: string;
  /** One line saying what it counts. */
  help: string;
  /** Names of the labels every series carries, in exposition order. @default {[]} */
  labelNames?: readonly string[];
}

/** Options of {@linkcode Registry.gauge}. */
export interface GaugeOptions extends MetricOptions {
  /** Called before each exposition, to set values that are cheaper to read than to track. */
  collect?: (gauge: Gauge) => void;
}

/** Options of {@linkcode Registry.histogram}. */
export interface HistogramOptions extends MetricOptions {
  /** Upper bounds, strictly increasing; `+Inf` is implied. @default {DEFAULT_BUCKETS} */
  buckets?: readonly number[];
}

/** `count` buckets starting at `start`, each `factor` times the previous (Prometheus' `ExponentialBuckets`). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !(count >= 1) || !Number.isInteger(count)) {
    throw new RangeError(
      `Cannot make exponential buckets: need start > 0, factor > 1 and an integer count >= 1: current values are ${start}, ${factor}, ${count}`,
    );
  }
  const out: number[] = [];
  for (let i = 0, b = start; i < count; i++, b *= factor) out.push(b);
  return out;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Escapes a label value for the text format. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

function escapeHelp(help: string): string {
  return help.replace(/[\\\n]/g, (c) => (c === "\\" ? "\\\\" : "\\n"));
}

/** Formats a sample value as the text format wants it (`+Inf`, `-Inf`, `NaN`). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

interface Series<S> {
  rendered: string;
  state: S;
}

abstract class Metric<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  abstract readonly type: "counter" | "gauge" | "histogram";
  readonly #labelSet: ReadonlySet<string>;
  readonly #series = new Map<string, Series<S>>();

  constructor(options: MetricOptions, reserved: readonly string[] = []) {
    if (!METRIC_NAME.test(options.name)) {
      throw new TypeError(`Cannot register metric: invalid name "${options.name}"`);
    }
    const labelNames = [...(options.labelNames ?? [])];
    for (const l of labelNames) {
      if (!LABEL_NAME.test(l) || l.startsWith("__") || reserved.includes(l)) {
        throw new TypeError(`Cannot register metric "${options.name}": invalid label name "${l}"`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new TypeError(`Cannot register metric "${options.name}": duplicate label names in [${labelNames}]`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = labelNames;
    this.#labelSet = new Set(labelNames);
  }

  protected abstract initial(): S;

  /** The series for `labels`, created on first use. Unknown label names throw; missing ones are "". */
  protected series(labels: Labels | undefined): Series<S> {
    if (labels !== undefined) {
      for (const k in labels) {
        if (!this.#labelSet.has(k)) {
          throw new TypeError(`Cannot use label "${k}" on metric "${this.name}": its labels are [${this.labelNames}]`);
        }
      }
    }
    const key = this.#key(labels);
    let s = this.#series.get(key);
    if (s === undefined) {
      s = { rendered: key, state: this.initial() };
      this.#series.set(key, s);
    }
    return s;
  }

  /**
   * Map key of a label set: its exposition form (`name="x",namespace="y"`), collision-free since values are quoted and
   * escaped — so each series holds one string, not a key and a rendering (10,000 ExternalSecrets have ≈60,000 series).
   */
  #key(labels: Labels | undefined): string {
    let key = "";
    for (const n of this.labelNames) key += `${key === "" ? "" : ","}${n}="${escapeLabelValue(labels?.[n] ?? "")}"`;
    return key;
  }

  protected find(labels: Labels | undefined): Series<S> | undefined {
    return this.#series.get(this.#key(labels));
  }

  /** Drops the series with exactly these labels (e.g. the object was deleted). Returns whether it existed. */
  remove(labels: Labels = {}): boolean {
    return this.#series.delete(this.#key(labels));
  }

  /** Drops every series. */
  reset(): void {
    this.#series.clear();
  }

  /** Number of series. */
  get size(): number {
    return this.#series.size;
  }

  protected allSeries(): IterableIterator<Series<S>> {
    return this.#series.values();
  }

  /** Appends this metric's exposition lines (nothing when it has no series, as client_golang does). */
  write(out: string[]): void {
    if (this.#series.size === 0) return;
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`);
    for (const s of this.#series.values()) this.writeSeries(out, s);
  }

  protected abstract writeSeries(out: string[], s: Series<S>): void;

  /** Whether `other` describes the same metric (for idempotent registration). */
  sameAs(type: string, labelNames: readonly string[]): boolean {
    return type === this.type && labelNames.length === this.labelNames.length &&
      labelNames.every((l, i) => l === this.labelNames[i]);
  }
}

function sample(name: string, rendered: string, value: number): string {
  return rendered === "" ? `${name} ${formatValue(value)}` : `${name}{${rendered}} ${formatValue(value)}`;
}

interface Cell {
  value: number;
}

/** A counter bound to one label set (see {@linkcode Counter.labels}). */
export interface BoundCounter {
  inc(value?: number): void;
  get(): number;
}

/** A value that only goes up (resets when the process restarts). */
export class Counter extends Metric<Cell> {
  readonly type = "counter" as const;

  protected initial(): Cell {
    return { value: 0 };
  }

  /** Adds `value` (default 1, must be ≥ 0) to the series for `labels`. */
  inc(value?: number): void;
  inc(labels: Labels, value?: number): void;
  inc(a?: Labels | number, b?: number): void {
    const [labels, value] = typeof a === "number" ? [undefined, a] : [a, b ?? 1];
    addToCounter(this.name, this.series(labels).state, value);
  }

  /** The current value, or undefined when the series does not exist. */
  get(labels?: Labels): number | undefined {
    return this.find(labels)?.state.value;
  }

  /** The series for `labels`, created now (so it is exposed as 0 until counted), for hot paths. */
  labels(labels: Labels): BoundCounter {
    const cell = this.series(labels).state;
    const name = this.name;
    return {
      inc: (value = 1) => addToCounter(name, cell, value),
      get: () => cell.value,
    };
  }

  protected writeSeries(out: string[], s: Series<Cell>): void {
    out.push(sample(this.name, s.rendered, s.state.value));
  }
}

function addToCounter(name: string, cell: Cell, value: number): void {
  if (!(value >= 0)) throw new RangeError(`Cannot decrease counter "${name}": current increment is ${value}`);
  cell.value += value;
}

/** A gauge bound to one label set (see {@linkcode Gauge.labels}). */
export interface BoundGauge {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
  get(): number;
}

/** A value that goes up and down. */
export class Gauge extends Metric<Cell> {
  readonly type = "gauge" as const;
  /** Called before each exposition. */
  readonly collect: ((gauge: Gauge) => void) | undefined;

  constructor(options: GaugeOptions) {
    super(options);
    this.collect = options.collect;
  }

  protected initial(): Cell {
    return { value: 0 };
  }

  /** Sets the series for `labels` to `value`. */
  set(value: number): void;
  set(labels: Labels, value: number): void;
  set(a: Labels | number, b?: number): void {
    if (typeof a === "number") this.series(undefined).state.value = a;
    else this.series(a).state.value = b ?? 0;
  }

  /** Adds `value` (default 1). */
  inc(value?: number): void;
  inc(labels: Labels, value?: number): void;
  inc(a?: Labels | number, b?: number): void {
    if (typeof a === "number") this.series(undefined).state.value += a;
    else this.series(a).state.value += b ?? 1;
  }

  /** Subtracts `value` (default 1). */
  dec(value?: number): void;
  dec(labels: Labels, value?: number): void;
  dec(a?: Labels | number, b?: number): void {
    if (typeof a === "number") this.series(undefined).state.value -= a;
    else this.series(a).state.value -= b ?? 1;
  }

  /** The current value, or undefined when the series does not exist. */
  get(labels?: Labels): number | undefined {
    return this.find(labels)?.state.value;
  }

  /** The series for `labels`, created now, for hot paths. */
  labels(labels: Labels): BoundGauge {
    const cell = this.series(labels).state;
    return {
      set: (value) => {
        cell.value = value;
      },
      inc: (value = 1) => {
        cell.value += value;
      },
      dec: (value = 1) => {
        cell.value -= value;
      },
      get: () => cell.value,
    };
  }

  protected writeSeries(out: string[], s: Series<Cell>): void {
    out.push(sample(this.name, s.rendered, s.state.value));
  }
}

interface HistogramCell {
  counts: number[];
  sum: number;
  count: number;
}

/** What a histogram series holds: cumulative counts per upper bound (the last is `+Inf`), sum and count. */
export interface HistogramSnapshot {
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

/** A histogram bound to one label set (see {@linkcode Histogram.labels}). */
export interface BoundHistogram {
  observe(value: number): void;
}

/** Observations counted into buckets, with their sum and count (`_bucket{le=...}`, `_sum`, `_count`). */
export class Histogram extends Metric<HistogramCell> {
  readonly type = "histogram" as const;
  /** Upper bounds without the implied `+Inf`. */
  readonly buckets: readonly number[];
  readonly #les: readonly string[];

  constructor(options: HistogramOptions) {
    super(options, ["le"]);
    const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
    if (buckets.at(-1) === Infinity) buckets.pop();
    for (let i = 0; i < buckets.length; i++) {
      if (!Number.isFinite(buckets[i]) || (i > 0 && !(buckets[i]! > buckets[i - 1]!))) {
        throw new RangeError(
          `Cannot register histogram "${options.name}": buckets must be finite and strictly increasing: current value is [${buckets}]`,
        );
      }
    }
    this.buckets = buckets;
    this.#les = [...buckets.map(formatValue), "+Inf"];
  }

  protected initial(): HistogramCell {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  /** Records one observation. */
  observe(value: number): void;
  observe(labels: Labels, value: number): void;
  observe(a: Labels | number, b?: number): void {
    if (typeof a === "number") this.#record(this.series(undefined).state, a);
    else this.#record(this.series(a).state, b ?? 0);
  }

  #record(cell: HistogramCell, value: number): void {
    const buckets = this.buckets;
    // Binary search for the first bound >= value; NaN lands in +Inf only.
    let lo = 0;
    let hi = buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (value <= buckets[mid]!) hi = mid;
      else lo = mid + 1;
    }
    cell.counts[lo]!++;
    cell.sum += value;
    cell.count++;
  }

  /** The series for `labels`, created now, for hot paths. */
  labels(labels: Labels): BoundHistogram {
    const cell = this.series(labels).state;
    return { observe: (value) => this.#record(cell, value) };
  }

  /** Cumulative view of one series, or undefined when it does not exist. */
  get(labels?: Labels): HistogramSnapshot | undefined {
    const s = this.find(labels);
    if (s === undefined) return undefined;
    let acc = 0;
    const buckets = s.state.counts.map((c, i) => ({ le: this.buckets[i] ?? Infinity, count: acc += c }));
    return { buckets, sum: s.state.sum, count: s.state.count };
  }

  override sameAs(type: string, labelNames: readonly string[], buckets?: readonly number[]): boolean {
    if (!super.sameAs(type, labelNames)) return false;
    const b = buckets ?? DEFAULT_BUCKETS;
    return b.length === this.buckets.length && b.every((x, i) => x === this.buckets[i]);
  }

  protected writeSeries(out: string[], s: Series<HistogramCell>): void {
    const prefix = s.rendered === "" ? "" : `${s.rendered},`;
    let acc = 0;
    for (let i = 0; i < this.#les.length; i++) {
      acc += s.state.counts[i]!;
      out.push(`${this.name}_bucket{${prefix}le="${this.#les[i]}"} ${acc}`);
    }
    out.push(sample(`${this.name}_sum`, s.rendered, s.state.sum));
    out.push(sample(`${this.name}_count`, s.rendered, s.state.count));
  }
}

type AnyMetric = Counter | Gauge | Histogram;

/**
 * The set of metrics one process exposes. Metrics are exposed in registration order, series in creation order.
 */
export class Registry {
  readonly #metrics = new Map<string, AnyMetric>();
  readonly #collectors = new Set<() => void>();

  /** Registers (or returns the identical existing) counter. */
  counter(options: MetricOptions): Counter {
    return this.#register(options, "counter", () => new Counter(options));
  }

  /** Registers (or returns the identical existing) gauge. A second registration's `collect` is ignored. */
  gauge(options: GaugeOptions): Gauge {
    return this.#register(options, "gauge", () => new Gauge(options));
  }

  /** Registers (or returns the identical existing) histogram. */
  histogram(options: HistogramOptions): Histogram {
    return this.#register(options, "histogram", () => new Histogram(options), options.buckets);
  }

  /** Runs `fn` before every exposition (to refresh gauges); returns a function that unregisters it. */
  onCollect(fn: () => void): () => void {
    this.#collectors.add(fn);
    return () => this.#collectors.delete(fn);
  }

  /** The metric registered under `name`, if any. */
  get(name: string): Counter | Gauge | Histogram | undefined {
    return this.#metrics.get(name);
  }

  #register<M extends AnyMetric>(
    options: MetricOptions,
    type: M["type"],
    make: () => M,
    buckets?: readonly number[],
  ): M {
    const existing = this.#metrics.get(options.name);
    if (existing !== undefined) {
      const labelNames = options.labelNames ?? [];
      const same = existing instanceof Histogram
        ? existing.sameAs(type, labelNames, buckets)
        : existing.sameAs(type, labelNames);
      if (!same) {
        throw new TypeError(
          `Cannot register metric "${options.name}" as ${type} with labels [${labelNames}]: it is already a ${existing.type} with labels [${existing.labelNames}]`,
        );
      }
      return existing as M;
    }
    const m = make();
    this.#metrics.set(m.name, m);
    return m;
  }

  /** The text exposition (format 0.0.4) of every metric, ending with a newline. */
  expose(): string {
    for (const fn of this.#collectors) {
      try {
        fn();
      } catch {
        // A broken collector must not take the whole scrape down; its metrics keep their last values.
      }
    }
    const out: string[] = [];
    for (const m of this.#metrics.values()) {
      if (m instanceof Gauge && m.collect !== undefined) {
        try {
          m.collect(m);
        } catch {
          // As above.
        }
      }
      m.write(out);
    }
    return out.length === 0 ? "" : `${out.join("\n")}\n`;
  }
}

/**
 * Registers `process_resident_memory_bytes`, `process_heap_bytes` and `process_start_time_seconds`, read at scrape
 * time (the figures the project tracks for idle RSS and start-up).
 */
export function registerProcessMetrics(registry: Registry): void {
  const startSeconds = (performance.timeOrigin || Date.now()) / 1000;
  registry.gauge({ name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds." })
    .set(startSeconds);
  registry.gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    collect: (g) => g.set(Deno.memoryUsage().rss),
  });
  registry.gauge({
    name: "process_heap_bytes",
    help: "V8 heap in use, in bytes.",
    collect: (g) => g.set(Deno.memoryUsage().heapUsed),
  });
}
