// Observation: one record per request, by service, vault, route, caller and status, so tests and benchmarks can
// count exactly what a client sent ("GET /secrets/{name}/{version}" by client "app-1": 3).
import type { Service } from "./faults.ts";

export interface RequestRecord {
  /** Increasing from 1, in the order responses were sent (or connections dropped). */
  seq: number;
  /** Epoch milliseconds at which the request arrived. */
  at: number;
  service: Service;
  vault?: string;
  route: string;
  caller: string;
  /** Status sent; 0 when the connection was dropped. */
  status: number;
  durationMs: number;
  /** Id of the fault rule that decided the outcome, if any. */
  fault?: string;
}

export interface RecordFilter {
  service?: Service;
  vault?: string;
  route?: string;
  caller?: string;
  status?: number;
  /** Only records with seq greater than this. */
  afterSeq?: number;
}

export interface CounterSnapshot {
  total: number;
  byRoute: Record<string, number>;
  byCaller: Record<string, number>;
  byStatus: Record<string, number>;
  /** route → caller → count. */
  byRouteAndCaller: Record<string, Record<string, number>>;
  /** Highest seq so far: pass it as `afterSeq` to count only what happens next. */
  lastSeq: number;
}

/** Records beyond this many are forgotten, oldest first (counted in `forgotten`). */
export const MAX_RECORDS = 200_000;

export function filterRecords(records: readonly RequestRecord[], f: RecordFilter = {}): RequestRecord[] {
  return records.filter((r) =>
    (f.service === undefined || r.service === f.service) &&
    (f.vault === undefined || r.vault === f.vault) &&
    (f.route === undefined || r.route === f.route) &&
    (f.caller === undefined || r.caller === f.caller) &&
    (f.status === undefined || r.status === f.status) &&
    (f.afterSeq === undefined || r.seq > f.afterSeq)
  );
}

export function summarize(records: readonly RequestRecord[], lastSeq: number): CounterSnapshot {
  const s: CounterSnapshot = { total: 0, byRoute: {}, byCaller: {}, byStatus: {}, byRouteAndCaller: {}, lastSeq };
  for (const r of records) {
    s.total++;
    s.byRoute[r.route] = (s.byRoute[r.route] ?? 0) + 1;
    s.byCaller[r.caller] = (s.byCaller[r.caller] ?? 0) + 1;
    s.byStatus[String(r.status)] = (s.byStatus[String(r.status)] ?? 0) + 1;
    const perCaller = (s.byRouteAndCaller[r.route] ??= {});
    perCaller[r.caller] = (perCaller[r.caller] ?? 0) + 1;
  }
  return s;
}

export class RequestLog {
  #records: RequestRecord[] = [];
  #seq = 0;
  forgotten = 0;

  add(r: Omit<RequestRecord, "seq">): RequestRecord {
    const record = { ...r, seq: ++this.#seq };
    this.#records.push(record);
    if (this.#records.length > MAX_RECORDS) {
      const excess = this.#records.length - MAX_RECORDS;
      this.#records.splice(0, excess);
      this.forgotten += excess;
    }
    return record;
  }

  records(filter?: RecordFilter): RequestRecord[] {
    return filterRecords(this.#records, filter).map((r) => ({ ...r }));
  }

  counters(filter?: RecordFilter): CounterSnapshot {
    return summarize(filterRecords(this.#records, filter), this.#seq);
  }

  /** Forgets all records; seq keeps increasing so an `afterSeq` taken earlier stays meaningful. */
  reset(): void {
    this.#records = [];
    this.forgotten = 0;
  }
}
