import assert from "node:assert/strict";
import { KubeApiError } from "../kube/errors.ts";
import { type ChangeSource, Controller, ReportedError, watches } from "./controller.ts";
import type { InformerChange } from "./informer.ts";
import { Logger } from "./log.ts";
import { Registry } from "./metrics.ts";
import { type Action, awaitChange } from "./work_queue.ts";

interface Obj {
  metadata: { namespace?: string; name?: string; generation?: number };
}

/** An in-memory change source: what an informer gives the controller (its changes, and whether it synced). */
class Source<S> implements ChangeSource<S> {
  synced = true;
  readonly #listeners: ((c: InformerChange<S>) => void)[] = [];
  subscribe(listener: (c: InformerChange<S>) => void): void {
    this.#listeners.push(listener);
  }
  emit(c: InformerChange<S>): void {
    for (const l of this.#listeners) l(c);
  }
}

const obj = (name: string, generation = 1): Obj => ({ metadata: { namespace: "ns", name, generation } });

async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
}

Deno.test("Controller: primary changes pass the predicate, related changes map to keys, each reconciled", async () => {
  const primary = new Source<Obj>();
  const related = new Source<Obj>();
  const seen: string[] = [];
  const controller = new Controller<string, Obj>({
    name: "test",
    primary: {
      informer: primary,
      key: (o) => `${o.metadata.namespace}/${o.metadata.name}`,
      predicate: (c) => c.type === "apply" && c.old?.metadata.generation !== c.object.metadata.generation,
    },
    watches: [watches(related, (c) => [`ns/owner-of-${c.object.metadata.name}`])],
    reconcile: (key): Promise<Action> => {
      seen.push(key);
      return Promise.resolve(awaitChange());
    },
    concurrency: 2,
    registry: new Registry(),
    log: new Logger({ sink: () => {} }),
  });
  const stop = new AbortController();
  const done = controller.start(stop.signal);
  primary.emit({ type: "apply", object: obj("a"), old: undefined });
  primary.emit({ type: "apply", object: obj("a"), old: obj("a") }); // status-only: filtered out
  primary.emit({ type: "apply", object: obj("b", 2), old: obj("b", 1) });
  related.emit({ type: "apply", object: obj("s"), old: undefined });
  await settle(() => seen.length >= 3);
  stop.abort();
  await done;
  assert.deepEqual(seen.sort(), ["ns/a", "ns/b", "ns/owner-of-s"]);
});

Deno.test("Controller: counts outcomes in controller-runtime's metrics; logs only unreported failures", async () => {
  const primary = new Source<Obj>();
  const registry = new Registry();
  const lines: string[] = [];
  const controller = new Controller<string, Obj>({
    name: "externalsecret",
    primary: { informer: primary, key: (o) => o.metadata.name! },
    reconcile: (key): Promise<Action> => {
      if (key === "reported") return Promise.reject(new ReportedError("already in the status"));
      if (key === "conflict") {
        return Promise.reject(
          new KubeApiError({
            status: 409,
            reason: "Conflict",
            serverMessage: "the object has been modified",
            request: { verb: "update", resource: "secrets" },
            method: "PUT",
            path: "/api/v1/namespaces/ns/secrets/x",
          }),
        );
      }
      if (key === "boom") return Promise.reject(new Error("unexpected"));
      return Promise.resolve(awaitChange());
    },
    concurrency: 3,
    registry,
    log: new Logger({ sink: (l) => lines.push(l), level: "info" }),
  });
  const stop = new AbortController();
  const done = controller.start(stop.signal);
  for (const name of ["ok", "reported", "conflict", "boom"]) {
    primary.emit({ type: "apply", object: { metadata: { name } }, old: undefined });
  }
  const text = (): string => registry.expose();
  const value = (series: string): number =>
    Number(text().split("\n").find((l) => l.startsWith(`${series} `))?.split(" ")[1]);
  await settle(() => value('controller_runtime_reconcile_total{controller="externalsecret",result="error"}') === 3);
  stop.abort();
  await done;
  assert.equal(value('controller_runtime_reconcile_total{controller="externalsecret",result="success"}'), 1);
  assert.equal(value('controller_runtime_reconcile_errors_total{controller="externalsecret"}'), 3);
  assert.equal(value('controller_runtime_max_concurrent_reconciles{controller="externalsecret"}'), 3);
  assert.equal(value('controller_runtime_active_workers{controller="externalsecret"}'), 0);
  assert.equal(value('controller_runtime_reconcile_time_seconds_count{controller="externalsecret"}'), 4);
  const failures = lines.filter((l) => l.includes("reconcile failed"));
  assert.equal(failures.length, 1, `only the unexpected error is logged at info: ${failures.join("\n")}`);
  assert.match(failures[0]!, /"key":"boom"/);
});

Deno.test("Controller: a reconcile stuck past the bound fails the liveness check, and clears once it ends", async () => {
  const primary = new Source<Obj>();
  let release!: () => void;
  const blocked = new Promise<void>((r) => release = r);
  const controller = new Controller<string, Obj>({
    name: "externalsecret",
    primary: { informer: primary, key: (o) => o.metadata.name! },
    reconcile: async (): Promise<Action> => {
      await blocked;
      return awaitChange();
    },
    concurrency: 1,
    registry: new Registry(),
    log: new Logger({ sink: () => {} }),
  });
  const check = controller.stuckWorkerCheck(50);
  const stop = new AbortController();
  const done = controller.start(stop.signal);
  assert.equal(check(), undefined, "nothing running");
  primary.emit({ type: "apply", object: { metadata: { name: "slow" } }, old: undefined });
  await new Promise((r) => setTimeout(r, 120));
  assert.match(check() ?? "", /an? externalsecret reconcile has been running for \d+ s/);
  release();
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(check(), undefined, "healthy again once it finished");
  stop.abort();
  await done;
});
