// Fault injection: rules that match requests (by service, vault, route, caller, object name) and add latency,
// answer with an error status (429 with Retry-After, 5xx, ...) or drop the connection. Rules are evaluated in the
// order they were added; every matching rule adds its latency, the first one that yields an outcome decides.
import { seededRandom } from "../prng.ts";

export type Service = "keyvault" | "entra" | "imds";

export interface FaultMatch {
  service?: Service;
  vault?: string;
  /** Route template(s), e.g. "GET /secrets/{name}/{version}" or "POST /{tenant}/oauth2/v2.0/token". */
  route?: string | string[];
  /** Client id of the caller. */
  caller?: string;
  /** The object name in the path (secret, key or certificate name; case-insensitive). */
  name?: string;
}

export interface ErrorOutcome {
  status: number;
  /** Sent as the `Retry-After` header (seconds). */
  retryAfterSeconds?: number;
  /** Error code in the service's error body; a sensible one per status when absent. */
  code?: string;
  message?: string;
}

/** "pass": handle normally; "drop": close the connection without an answer. */
export type FaultOutcome = "pass" | "drop" | ErrorOutcome;

export interface FaultRule {
  match?: FaultMatch;
  /** Delay before the request is handled (or failed). */
  latencyMs?: number;
  /** Outcomes for the next matching requests, one each; when used up the rule falls back to `outcome`. */
  sequence?: FaultOutcome[];
  /** Outcome for matching requests once `sequence` is used up, with probability `rate`. */
  outcome?: "drop" | ErrorOutcome;
  /** Probability (0..1) that `outcome` applies to a matching request; default 1. Drawn from a seeded PRNG. */
  rate?: number;
  /** Remove the rule after this many matching requests. */
  times?: number;
}

export interface FaultRuleState extends FaultRule {
  readonly id: string;
  /** Matching requests so far. */
  matched: number;
}

export interface RequestInfo {
  service: Service;
  route: string;
  caller: string;
  vault?: string;
  name?: string;
}

export type FaultDecision =
  | { kind: "pass" }
  | { kind: "drop"; ruleId: string }
  | { kind: "error"; ruleId: string; error: ErrorOutcome };

/** Deterministic PRNG so a fault run with a rate can be repeated exactly. */
export { seededRandom };

export function matches(match: FaultMatch | undefined, info: RequestInfo): boolean {
  if (!match) return true;
  if (match.service !== undefined && match.service !== info.service) return false;
  if (match.vault !== undefined && match.vault !== info.vault) return false;
  if (match.caller !== undefined && match.caller !== info.caller) return false;
  if (match.name !== undefined && match.name.toLowerCase() !== info.name?.toLowerCase()) return false;
  if (match.route !== undefined) {
    const routes = Array.isArray(match.route) ? match.route : [match.route];
    if (!routes.includes(info.route)) return false;
  }
  return true;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function checkOutcome(x: unknown, where: string): FaultOutcome {
  if (x === "pass" || x === "drop") return x;
  if (!isRecord(x) || typeof x.status !== "number" || x.status < 100 || x.status > 599) {
    throw new Error(`${where}: want "pass", "drop" or {status: 100..599, retryAfterSeconds?, code?, message?}`);
  }
  const out: ErrorOutcome = { status: x.status };
  if (x.retryAfterSeconds !== undefined) {
    if (typeof x.retryAfterSeconds !== "number" || x.retryAfterSeconds < 0) {
      throw new Error(`${where}.retryAfterSeconds: want a number >= 0`);
    }
    out.retryAfterSeconds = x.retryAfterSeconds;
  }
  if (x.code !== undefined) out.code = String(x.code);
  if (x.message !== undefined) out.message = String(x.message);
  return out;
}

/** Checks a rule that came in as JSON (admin API, seed file) and returns it typed. */
export function parseFaultRule(x: unknown): FaultRule {
  if (!isRecord(x)) throw new Error("fault rule: want an object");
  const rule: FaultRule = {};
  if (x.match !== undefined) {
    if (!isRecord(x.match)) throw new Error("fault rule.match: want an object");
    const m: FaultMatch = {};
    const { service, vault, route, caller, name } = x.match;
    if (service !== undefined) {
      if (service !== "keyvault" && service !== "entra" && service !== "imds") {
        throw new Error(`fault rule.match.service: want keyvault, entra or imds`);
      }
      m.service = service;
    }
    if (vault !== undefined) m.vault = String(vault);
    if (caller !== undefined) m.caller = String(caller);
    if (name !== undefined) m.name = String(name);
    if (route !== undefined) m.route = Array.isArray(route) ? route.map(String) : String(route);
    rule.match = m;
  }
  for (const k of ["latencyMs", "rate", "times"] as const) {
    const v = x[k];
    if (v === undefined) continue;
    if (typeof v !== "number" || v < 0 || (k === "rate" && v > 1)) throw new Error(`fault rule.${k}: bad number`);
    rule[k] = v;
  }
  if (x.sequence !== undefined) {
    if (!Array.isArray(x.sequence)) throw new Error("fault rule.sequence: want an array");
    rule.sequence = x.sequence.map((o, i) => checkOutcome(o, `fault rule.sequence[${i}]`));
  }
  if (x.outcome !== undefined) {
    const o = checkOutcome(x.outcome, "fault rule.outcome");
    if (o === "pass") throw new Error(`fault rule.outcome: "pass" is the default; leave it out`);
    rule.outcome = o;
  }
  return rule;
}

export class FaultInjector {
  #rules: FaultRuleState[] = [];
  #next = 1;
  #random: () => number;
  #stopped = new AbortController();
  #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(seed = 1) {
    this.#random = seededRandom(seed);
  }

  /** Adds a rule; returns its id. */
  add(rule: FaultRule): string {
    const id = `fault-${this.#next++}`;
    this.#rules.push({ ...structuredClone(rule), id, matched: 0 });
    return id;
  }

  remove(id: string): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length !== before;
  }

  clear(): void {
    this.#rules = [];
  }

  list(): FaultRuleState[] {
    return structuredClone(this.#rules);
  }

  /** Re-seeds the PRNG behind `rate`. */
  reseed(seed: number): void {
    this.#random = seededRandom(seed);
  }

  /** The next `count` matching requests get 429 with `Retry-After: retryAfterSeconds` (defaults 1 and 1). */
  throttle(match: FaultMatch, opts: { count?: number; retryAfterSeconds?: number } = {}): string {
    const outcome: ErrorOutcome = { status: 429, retryAfterSeconds: opts.retryAfterSeconds ?? 1 };
    return this.add({ match, sequence: Array.from({ length: opts.count ?? 1 }, () => ({ ...outcome })) });
  }

  /** Adds `ms` of latency to matching requests (the next `times` of them, or all). */
  latency(match: FaultMatch, ms: number, opts: { times?: number } = {}): string {
    return this.add({ match, latencyMs: ms, ...(opts.times !== undefined ? { times: opts.times } : {}) });
  }

  /** Fails the next `count` matching requests with `status`, or, without `count`, a `rate` share of all of them. */
  fail(
    match: FaultMatch,
    status: number,
    opts: { count?: number; rate?: number; code?: string; message?: string; retryAfterSeconds?: number } = {},
  ): string {
    const { count, rate, ...rest } = opts;
    const error: ErrorOutcome = { status, ...rest };
    if (count !== undefined) return this.add({ match, sequence: Array.from({ length: count }, () => ({ ...error })) });
    return this.add({ match, outcome: error, ...(rate !== undefined ? { rate } : {}) });
  }

  /** Drops the connection of the next `count` matching requests, or of a `rate` share of all of them. */
  drop(match: FaultMatch, opts: { count?: number; rate?: number } = {}): string {
    if (opts.count !== undefined) {
      return this.add({ match, sequence: Array.from({ length: opts.count }, (): FaultOutcome => "drop") });
    }
    return this.add({ match, outcome: "drop", ...(opts.rate !== undefined ? { rate: opts.rate } : {}) });
  }

  /** Decides what happens to a request, waiting out any latency first. */
  async apply(info: RequestInfo): Promise<FaultDecision> {
    let latency = 0;
    let decision: FaultDecision = { kind: "pass" };
    for (const rule of [...this.#rules]) {
      if (!matches(rule.match, info)) continue;
      rule.matched++;
      latency += rule.latencyMs ?? 0;
      const outcome = this.#outcomeOf(rule);
      if (rule.times !== undefined && rule.matched >= rule.times) this.remove(rule.id);
      else if (rule.sequence?.length === 0 && rule.outcome === undefined && !rule.latencyMs) this.remove(rule.id);
      if (outcome === "pass") continue;
      decision = outcome === "drop"
        ? { kind: "drop", ruleId: rule.id }
        : { kind: "error", ruleId: rule.id, error: outcome };
      break;
    }
    if (latency > 0) await this.#sleep(latency);
    return decision;
  }

  /** Ends pending latency waits (the emulator is stopping). */
  stop(): void {
    this.#stopped.abort(); // every pending wait clears its own timer
  }

  #outcomeOf(rule: FaultRuleState): FaultOutcome {
    if (rule.sequence && rule.sequence.length > 0) return rule.sequence.shift() ?? "pass";
    if (rule.outcome === undefined) return "pass";
    return this.#random() < (rule.rate ?? 1) ? rule.outcome : "pass";
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#stopped.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#timers.add(timer);
      this.#stopped.signal.addEventListener("abort", done, { once: true });
    });
  }
}
