import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import {
  formatMicroTime,
  isConflict,
  LeaderElector,
  type LeaderElectorOptions,
  type Lease,
  type LeaseStore,
} from "./leader_election.ts";
import { Registry } from "./metrics.ts";

class StoreError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** An apiserver-like Lease in memory: resourceVersion checks, 404/409, scripted failures and hangs. */
class MemoryLeaseStore implements LeaseStore {
  lease: Lease | undefined;
  #rv = 0;
  calls: string[] = [];
  /** Operations that fail (with `status`) the next times they are called. */
  failures: { op: "get" | "create" | "update"; status: number }[] = [];
  /** When set, every call fails with 503 (apiserver unreachable). */
  down = false;
  /** When set, every call hangs until its signal aborts. */
  hang = false;

  #take(op: "get" | "create" | "update", signal?: AbortSignal): Promise<void> {
    this.calls.push(op);
    if (this.hang) {
      return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
    }
    if (this.down) return Promise.reject(new StoreError("connection refused", 503));
    const i = this.failures.findIndex((f) => f.op === op);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      return Promise.reject(new StoreError(`injected ${op} failure`, f!.status));
    }
    return Promise.resolve();
  }

  async get(signal?: AbortSignal): Promise<Lease | undefined> {
    await this.#take("get", signal);
    return this.lease === undefined ? undefined : structuredClone(this.lease);
  }

  async create(lease: Lease, signal?: AbortSignal): Promise<Lease> {
    await this.#take("create", signal);
    if (this.lease !== undefined) throw new StoreError('leases "controller" already exists', 409);
    this.lease = {
      ...structuredClone(lease),
      metadata: { name: "controller", namespace: "eso", resourceVersion: String(++this.#rv) },
    };
    return structuredClone(this.lease);
  }

  async update(lease: Lease, signal?: AbortSignal): Promise<Lease> {
    await this.#take("update", signal);
    if (this.lease === undefined) throw new StoreError('leases "controller" not found', 404);
    if (lease.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) {
      throw new StoreError("the object has been modified", 409);
    }
    this.lease = {
      ...structuredClone(lease),
      metadata: { ...this.lease.metadata, resourceVersion: String(++this.#rv) },
    };
    return structuredClone(this.lease);
  }

  /** Someone else writes the lease (another replica). */
  write(spec: Lease["spec"]): void {
    this.lease = {
      metadata: { name: "controller", namespace: "eso", resourceVersion: String(++this.#rv) },
      spec: { ...spec },
    };
  }
}

const T0 = Date.parse("2026-03-01T10:00:00Z");

interface Replica {
  elector: LeaderElector;
  abort: AbortController;
  done: Promise<void>;
  events: string[];
  /** Aborted when leading ends; the work resolves once that signal aborts (after `drainMs`). */
  leadingSignal: AbortSignal | undefined;
  settled: boolean;
}

function replica(
  store: LeaseStore,
  identity: string,
  options: Partial<LeaderElectorOptions> & { drainMs?: number } = {},
): Replica {
  const r: Replica = {
    elector: undefined as unknown as LeaderElector,
    abort: new AbortController(),
    done: Promise.resolve(),
    events: [],
    leadingSignal: undefined,
    settled: false,
  };
  r.elector = new LeaderElector({
    store,
    identity,
    random: () => 0,
    onStartedLeading: (signal) => {
      r.events.push(`started@${Date.now() - T0}`);
      r.leadingSignal = signal;
      return new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => setTimeout(resolve, options.drainMs ?? 0), { once: true })
      );
    },
    onStoppedLeading: () => r.events.push(`stopped@${Date.now() - T0}`),
    onNewLeader: (id) => r.events.push(`leader=${id}`),
    ...options,
  });
  r.done = r.elector.start(r.abort.signal).finally(() => (r.settled = true));
  return r;
}

/** Runs `body` on fake time starting at T0, and always restores real time. */
async function onFakeTime(body: (clock: FakeTimers.Clock) => Promise<void>): Promise<void> {
  const clock = FakeTimers.install({ now: T0, toFake: ["setTimeout", "clearTimeout", "Date"] });
  try {
    await body(clock);
  } finally {
    clock.uninstall();
  }
}

/** Stops every replica, waits for them (on fake time) and checks no timer is left. */
async function finish(clock: FakeTimers.Clock, ...replicas: Replica[]): Promise<void> {
  for (const r of replicas) r.abort.abort();
  await clock.tickAsync(60_000);
  for (const r of replicas) assert.ok(r.settled, "start() resolved after the abort");
  await Promise.all(replicas.map((r) => r.done));
  assert.equal(clock.countTimers(), 0, "no timer left behind");
}

Deno.test("LeaderElector creates a missing Lease and leads", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const registry = new Registry();
    const a = replica(store, "a", { registry, name: "external-secrets-controller" });
    await clock.tickAsync(0);
    assert.equal(a.elector.isLeader, true);
    assert.deepEqual(a.events, ["leader=a", "started@0"]);
    assert.deepEqual(store.lease?.spec, {
      holderIdentity: "a",
      leaseDurationSeconds: 15,
      acquireTime: "2026-03-01T10:00:00.000000Z",
      renewTime: "2026-03-01T10:00:00.000000Z",
      leaseTransitions: 0,
    });
    assert.match(registry.expose(), /^leader_election_master_status\{name="external-secrets-controller"\} 1$/m);
    await finish(clock, a);
    assert.match(registry.expose(), /^leader_election_master_status\{name="external-secrets-controller"\} 0$/m);
  }));

Deno.test("LeaderElector renews every retryPeriod without reading the Lease, keeping acquireTime", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const a = replica(store, "a");
    await clock.tickAsync(0);
    store.calls = [];
    await clock.tickAsync(6_000);
    assert.deepEqual(store.calls, ["update", "update", "update"], "fast path: no get");
    assert.equal(store.lease?.spec?.renewTime, formatMicroTime(T0 + 6_000));
    assert.equal(store.lease?.spec?.acquireTime, formatMicroTime(T0));
    assert.equal(store.lease?.spec?.leaseTransitions, 0);
    await finish(clock, a);
  }));

Deno.test("LeaderElector does not take a Lease another holder keeps renewing", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    store.write({ holderIdentity: "b", leaseDurationSeconds: 15, renewTime: formatMicroTime(T0), leaseTransitions: 3 });
    const a = replica(store, "a");
    // "b" renews every 2 s for a minute.
    for (let t = 2_000; t <= 60_000; t += 2_000) {
      await clock.tickAsync(2_000);
      store.write({ ...store.lease!.spec, renewTime: formatMicroTime(Date.now()) });
    }
    assert.equal(a.elector.isLeader, false);
    assert.equal(a.elector.leader, "b");
    assert.deepEqual(a.events, ["leader=b"]);
    assert.equal(store.calls.filter((c) => c === "update").length, 0, "never tried to overwrite a valid lease");
    await finish(clock, a);
    assert.equal(store.lease?.spec?.holderIdentity, "b", "a follower releases nothing");
  }));

Deno.test("LeaderElector takes over a Lease that expired, judged by local observation time", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    // The holder's clock is far ahead: its renewTime is in our future. Only our own observation time counts.
    store.write({
      holderIdentity: "b",
      leaseDurationSeconds: 15,
      acquireTime: formatMicroTime(T0 + 3_600_000),
      renewTime: formatMicroTime(T0 + 3_600_000),
      leaseTransitions: 3,
    });
    const a = replica(store, "a");
    await clock.tickAsync(14_000);
    assert.equal(a.elector.isLeader, false, "still valid 14 s after we first saw it");
    await clock.tickAsync(2_000);
    assert.equal(a.elector.isLeader, true, "taken at the first attempt after 15 s");
    assert.equal(store.lease?.spec?.holderIdentity, "a");
    assert.equal(store.lease?.spec?.leaseTransitions, 4);
    assert.equal(store.lease?.spec?.acquireTime, formatMicroTime(Date.now()));
    assert.deepEqual(a.events, ["leader=b", "leader=a", "started@16000"]);
    await finish(clock, a);
  }));

Deno.test("LeaderElector loses a write race with 409 Conflict and does not lead", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    store.write({ holderIdentity: "", leaseDurationSeconds: 1, leaseTransitions: 1 });
    // Between our read and our write, "b" takes the released lease.
    const realGet = store.get.bind(store);
    let raced = false;
    store.get = async (signal) => {
      const lease = await realGet(signal);
      if (!raced) {
        raced = true;
        store.write({ holderIdentity: "b", leaseDurationSeconds: 15, leaseTransitions: 2 });
      }
      return lease;
    };
    const a = replica(store, "a");
    await clock.tickAsync(0);
    assert.deepEqual(store.calls, ["get", "update"]);
    assert.equal(a.elector.isLeader, false);
    assert.equal(store.lease?.spec?.holderIdentity, "b");
    await clock.tickAsync(2_000);
    assert.equal(a.elector.isLeader, false, "next attempt sees b's valid lease");
    assert.equal(a.elector.leader, "b");
    await finish(clock, a);
    assert.ok(isConflict(new StoreError("x", 409)) && !isConflict(new Error("x")));
  }));

Deno.test("LeaderElector falls back to reading the Lease when a renewal conflicts, and keeps leading", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const a = replica(store, "a");
    await clock.tickAsync(0);
    // Someone touched the object (e.g. a label): our cached resourceVersion is stale, the fast path gets 409.
    store.write({ ...store.lease!.spec });
    store.calls = [];
    await clock.tickAsync(2_000);
    assert.deepEqual(store.calls, ["update", "get", "update"]);
    assert.equal(a.elector.isLeader, true);
    assert.equal(store.lease?.spec?.renewTime, formatMicroTime(T0 + 2_000));
    assert.equal(store.lease?.spec?.leaseTransitions, 0, "a renewal is not a transition");
    await finish(clock, a);
  }));

Deno.test("LeaderElector stops leading when it cannot renew within renewDeadline, and releases nothing", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const a = replica(store, "a");
    await clock.tickAsync(0);
    store.down = true;
    // Renewal round starts at 2 s; it retries every 2 s and gives up 10 s later.
    await clock.tickAsync(11_999);
    assert.equal(a.elector.isLeader, true);
    assert.equal(a.leadingSignal?.aborted, false);
    await clock.tickAsync(1);
    assert.equal(a.elector.isLeader, false);
    assert.equal(a.leadingSignal?.aborted, true, "the work is told to stop");
    assert.equal(a.settled, false, "start() waits for the work to stop");
    await clock.tickAsync(1); // the fake work stops on the next timer turn
    assert.equal(a.settled, true, "start() resolves after a loss");
    assert.deepEqual(a.events, ["leader=a", "started@0", "stopped@12000"]);
    const updates = store.calls.filter((c) => c === "update").length;
    store.down = false;
    await finish(clock, a);
    assert.equal(store.calls.filter((c) => c === "update").length, updates, "no release after a loss");
    assert.equal(store.lease?.spec?.holderIdentity, "a", "the lease just expires");
  }));

Deno.test("LeaderElector gives up a renewal stuck on a hanging request at the deadline", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const a = replica(store, "a");
    await clock.tickAsync(0);
    store.hang = true;
    await clock.tickAsync(11_999);
    assert.equal(a.elector.isLeader, true);
    await clock.tickAsync(1);
    assert.equal(a.elector.isLeader, false, "lost at the renew deadline although the request never returned");
    await clock.tickAsync(1);
    assert.equal(a.settled, true);
    store.hang = false;
    await finish(clock, a);
  }));

Deno.test("LeaderElector stops at once when it sees another holder during renewal", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const a = replica(store, "a");
    await clock.tickAsync(0);
    // "b" took the lease (e.g. ours expired during a long pause).
    store.write({ holderIdentity: "b", leaseDurationSeconds: 15, leaseTransitions: 1 });
    await clock.tickAsync(2_000);
    assert.equal(a.elector.isLeader, false);
    assert.deepEqual(a.events, ["leader=a", "started@0", "leader=b", "stopped@2000"]);
    await finish(clock, a);
  }));

Deno.test("LeaderElector keeps renewing while the work drains, then releases so a standby takes over at once", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const a = replica(store, "a", { drainMs: 5_000 });
    await clock.tickAsync(0);
    const b = replica(store, "b");
    await clock.tickAsync(4_000);
    assert.equal(b.elector.isLeader, false);

    a.abort.abort();
    await clock.tickAsync(4_000);
    assert.equal(a.settled, false, "still draining");
    assert.equal(store.lease?.spec?.holderIdentity, "a");
    assert.equal(store.lease?.spec?.renewTime, formatMicroTime(Date.now()), "renewed during the drain");
    await clock.tickAsync(1_000);
    assert.equal(a.settled, true);
    assert.equal(store.lease?.spec?.holderIdentity, "");
    assert.equal(store.lease?.spec?.leaseDurationSeconds, 1);
    assert.deepEqual(a.events, ["leader=a", "started@0", "stopped@9000"]);

    // b's next attempt (retryPeriod after its last) takes the released lease, long before 15 s.
    await clock.tickAsync(2_000);
    assert.equal(b.elector.isLeader, true);
    assert.equal(store.lease?.spec?.holderIdentity, "b");
    assert.equal(store.lease?.spec?.leaseTransitions, 1);
    await finish(clock, b);
  }));

Deno.test("LeaderElector with releaseOnCancel false leaves the Lease to expire", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const a = replica(store, "a", { releaseOnCancel: false });
    await clock.tickAsync(0);
    await finish(clock, a);
    assert.equal(store.lease?.spec?.holderIdentity, "a");
    assert.deepEqual(a.events.at(-1), "stopped@0");
  }));

Deno.test("LeaderElector.start() rethrows a failure of the leading work after releasing the Lease", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    const elector = new LeaderElector({
      store,
      identity: "a",
      onStartedLeading: () => Promise.reject(new Error("informers failed to start")),
    });
    const failed = assert.rejects(elector.start(new AbortController().signal), /informers failed to start/);
    await clock.tickAsync(0);
    await failed;
    assert.equal(store.lease?.spec?.holderIdentity, "");
    assert.equal(clock.countTimers(), 0);
  }));

Deno.test("LeaderElector aborted before winning resolves without leading", () =>
  onFakeTime(async (clock) => {
    const store = new MemoryLeaseStore();
    store.write({ holderIdentity: "b", leaseDurationSeconds: 15 });
    const a = replica(store, "a");
    await clock.tickAsync(1_000);
    await finish(clock, a);
    assert.deepEqual(a.events, ["leader=b"]);
  }));

Deno.test("LeaderElector validates its timings like client-go", () => {
  const store = new MemoryLeaseStore();
  const base = { store, identity: "a", onStartedLeading: () => {} };
  assert.throws(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), RangeError);
  assert.throws(() => new LeaderElector({ ...base, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), RangeError);
  assert.throws(() => new LeaderElector({ ...base, identity: "" }), TypeError);
  assert.equal(formatMicroTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), "2026-01-02T03:04:05.678000Z");
});
