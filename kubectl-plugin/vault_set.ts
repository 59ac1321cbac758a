/**
 * `kubectl externalsecret vault set`: writes a Key Vault secret through a store — with the store's own credentials
 * (the very client the controller builds: `AzureKeyVaultProvider` + `KubeCredentialSource`), or with
 * `--use-local-credentials` the person's own (`DefaultAzureCredential`) — and with `--sync [--wait]` force-syncs
 * every ExternalSecret in scope that reads that key through that store, then waits until each target Secret holds
 * the new value.
 *
 * The value never appears in any output. `--value` warns that argv leaks into shell history.
 *
 * @module
 */
import {
  ANNOTATION_DATA_HASH,
  dataHash,
  type ExternalSecret,
  externalSecrets,
  rotationToken,
  secretDataBytes,
} from "../mod.ts";
import { isNotFound, type KubeClient, secrets } from "../controller/kube/mod.ts";
import { CliError, ExitCode, UsageError } from "./errors.ts";
import { type GlobalFlags, requireOutput, scopeOf } from "./global.ts";
import { type ClusterResult, fleetContexts, forEachCluster, problemOf, rerunIfInsecure, summaryLine } from "./fleet.ts";
import { openSession, type Session, type StoreId } from "./session.ts";
import { byteSize, type Output, RESULT_API_VERSION, toJson, toYaml } from "./output.ts";
import { listAll, targetSecretName } from "./summary.ts";
import {
  DEFAULT_WAIT_MS,
  exitCodeOf,
  forceSyncAll,
  keyOf,
  outcomeLine,
  parseTimeout,
  readBaseline,
  resultOf,
  type SyncOutcome,
  waitForSyncs,
} from "./sync.ts";

/** Options of `vault set`. */
export interface VaultSetOptions {
  store?: string;
  clusterStore?: string;
  name?: string;
  file?: string;
  value?: string;
  contentType?: string;
  /** `--disabled`: write the new version disabled. */
  disabled?: boolean;
  tag?: string[];
  expires?: string;
  notBefore?: string;
  useLocalCredentials?: boolean;
  sync?: boolean;
  wait?: boolean;
  waitTimeout?: string;
  azureAuthorityHost?: string;
  azureDisableChallengeResourceVerification?: boolean;
  waveSize?: string;
  maxFailures?: string;
}

/** Where the value comes from. */
export type ValueSource = { kind: "file"; path: string } | { kind: "value"; value: string } | { kind: "stdin" };

/** The Key Vault secret name from `--name` (`NAME` or `secret/NAME`); Key Vault allows 1–127 of `0-9a-zA-Z-`. */
export function parseSecretName(text: string | undefined): string {
  if (text === undefined || text === "") throw new UsageError("--name is required: the Key Vault secret to set");
  let name = text;
  const slash = text.indexOf("/");
  if (slash >= 0) {
    const type = text.slice(0, slash);
    if (type !== "secret") {
      throw new UsageError(`--name "${text}": only Key Vault secrets can be set (secret/NAME), not ${type} objects`);
    }
    name = text.slice(slash + 1);
  }
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw new UsageError(`--name "${text}": a Key Vault secret name is 1-127 letters, digits and dashes`);
  }
  return name;
}

/**
 * `--expires` / `--not-before`: an ISO 8601 date or time (`2027-12-01`, `2027-12-01T09:00:00Z`) or a duration from
 * now in days, hours or minutes (`90d`, `36h`, `30m`), as `az keyvault secret set --expires` takes a date.
 */
export function parseWhen(text: string | undefined, flag: string, now: Date = new Date()): Date | undefined {
  if (text === undefined) return undefined;
  const rel = /^(\d{1,5})(d|h|m)$/.exec(text.trim());
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as "d" | "h" | "m"];
    return new Date(now.getTime() + Number(rel[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const d = new Date(/T| /.test(text) ? text.trim() : `${text.trim()}T00:00:00Z`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new UsageError(
    `${flag} "${text}": expected a date (2027-12-01, 2027-12-01T09:00:00Z) or a duration (90d, 36h)`,
  );
}

/** `k=v` tags (at most 15, as Key Vault allows). */
export function parseTags(tags: readonly string[] | undefined): Record<string, string> | undefined {
  if (!tags || tags.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const t of tags) {
    const i = t.indexOf("=");
    if (i <= 0) throw new UsageError(`--tag "${t}": expected KEY=VALUE`);
    out[t.slice(0, i)] = t.slice(i + 1);
  }
  if (Object.keys(out).length > 15) throw new UsageError("Key Vault allows at most 15 tags per secret");
  return out;
}

/** Picks the value source: `--file` (`-` is stdin), `--value`, or stdin when it is not a terminal. */
export function valueSource(opts: VaultSetOptions, stdinIsTerminal: boolean): ValueSource {
  if (opts.file !== undefined && opts.value !== undefined) {
    throw new UsageError("give either --file or --value, not both");
  }
  if (opts.file !== undefined) return opts.file === "-" ? { kind: "stdin" } : { kind: "file", path: opts.file };
  if (opts.value !== undefined) return { kind: "value", value: opts.value };
  if (stdinIsTerminal) {
    throw new UsageError("no value: give --file FILE, pipe the value on stdin, or (less safely) --value VALUE");
  }
  return { kind: "stdin" };
}

/** Reads the value as UTF-8 text (Key Vault secrets are text). Empty or non-UTF-8 values are refused. */
export async function readValue(source: ValueSource): Promise<string> {
  let bytes: Uint8Array;
  switch (source.kind) {
    case "value":
      bytes = new TextEncoder().encode(source.value);
      break;
    case "file":
      try {
        bytes = await Deno.readFile(source.path);
      } catch (e) {
        throw new CliError(`cannot read --file ${source.path}: ${(e as Error).message}`);
      }
      break;
    case "stdin":
      bytes = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
      break;
  }
  if (bytes.length === 0) throw new CliError("the value is empty: refusing to set an empty secret");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(
      "the value is not UTF-8 text; Key Vault secrets are text: base64-encode binary data and read it with " +
        "remoteRef.decodingStrategy: Base64",
    );
  }
}

/** Whether a `remoteRef.key` names Key Vault secret `name` (`name` or `secret/name`; names are case-insensitive). */
export function keyMatches(remoteKey: string, name: string): boolean {
  const k = remoteKey.startsWith("secret/") ? remoteKey.slice("secret/".length) : remoteKey;
  return k.toLowerCase() === name.toLowerCase();
}

/** A store as the plugin addresses it. */
export type { StoreId };

/**
 * How an ExternalSecret uses secret `name` of `store`: `follows` (reads the latest version), `pinned` (only pinned
 * versions), or undefined when it does not read it through that store.
 */
export function referenceOf(es: ExternalSecret, store: StoreId, name: string): "follows" | "pinned" | undefined {
  const esKind = es.spec.secretStoreRef?.kind ?? "SecretStore";
  const esStore = es.spec.secretStoreRef?.name;
  const viaStore = (ref: { kind?: string; name?: string } | undefined): boolean => {
    const kind = ref ? ref.kind ?? "SecretStore" : esKind;
    const n = ref ? ref.name : esStore;
    if (kind !== store.kind || n !== store.name) return false;
    return kind === "ClusterSecretStore" || es.metadata.namespace === store.namespace;
  };
  let pinned = false;
  for (const item of es.spec.data ?? []) {
    if (!keyMatches(item.remoteRef.key, name) || !viaStore(item.sourceRef?.storeRef)) continue;
    if (item.remoteRef.version) pinned = true;
    else return "follows";
  }
  for (const item of es.spec.dataFrom ?? []) {
    const ref = item.extract;
    if (!ref || !keyMatches(ref.key, name) || !viaStore(item.sourceRef?.storeRef)) continue;
    if (ref.version) pinned = true;
    else return "follows";
  }
  return pinned ? "pinned" : undefined;
}

/**
 * The `data-hash` the target Secret will carry once it holds `value`, when that can be known from `value` alone:
 * every `data[]` item reads this key (latest version) through this store, no `dataFrom`, no templates from other
 * objects, creationPolicy Owner or Orphan. Computed with the controller's own planner and template engine.
 */
export async function expectedDataHash(
  es: ExternalSecret,
  store: StoreId,
  name: string,
  value: string,
): Promise<string | undefined> {
  const policy = es.spec.target?.creationPolicy ?? "Owner";
  if (policy !== "Owner" && policy !== "Orphan") return undefined;
  if ((es.spec.dataFrom ?? []).length > 0) return undefined;
  if ((es.spec.target?.template?.templateFrom ?? []).some((t) => t.configMap || t.secret)) return undefined;
  const items = es.spec.data ?? [];
  if (items.length === 0) return undefined;
  const single: ExternalSecret = { ...es, spec: { ...es.spec, data: [] } };
  for (const item of items) {
    const r = item.remoteRef;
    if (!keyMatches(r.key, name) || r.version || r.metadataPolicy === "Fetch") return undefined;
    if (referenceOf({ ...single, spec: { ...single.spec, data: [item] } }, store, name) !== "follows") return undefined;
  }
  const { applyRemoteRef } = await import("../controller/providers/mod.ts");
  const { planSync, writeOf } = await import("../mod.ts");
  const values: Record<string, Uint8Array> = {};
  try {
    // The controller's own value pipeline: property, decoding, null bytes.
    for (const item of items) values[item.secretKey] = applyRemoteRef(new TextEncoder().encode(value), item.remoteRef);
  } catch {
    return undefined;
  }
  const plan = await planSync({
    es: { ...es, metadata: { ...es.metadata, uid: es.metadata.uid ?? "" } },
    target: undefined,
    values,
    now: new Date(),
  });
  return writeOf(plan)?.secret.metadata?.annotations?.[ANNOTATION_DATA_HASH];
}

/** Whether the target Secret of `es` holds the new value (by data hash; values are never shown). */
export async function verifyTarget(
  client: KubeClient,
  es: ExternalSecret,
  expected: string | undefined,
): Promise<{ ok: boolean; message: string }> {
  const ns = es.metadata.namespace!;
  const name = targetSecretName(es);
  let secret;
  try {
    secret = await client.get(secrets, name, { namespace: ns });
  } catch (e) {
    if (!isNotFound(e)) throw e;
    const none = es.spec.target?.creationPolicy === "None";
    return {
      ok: none,
      message: none ? "refreshed (creationPolicy None: no Secret to check)" : `Secret ${ns}/${name} does not exist`,
    };
  }
  const actual = dataHash(secretDataBytes(secret));
  const annotated = secret.metadata?.annotations?.[ANNOTATION_DATA_HASH];
  if (expected !== undefined) {
    return actual === expected ? { ok: true, message: `Secret ${ns}/${name} holds the new value` } : {
      ok: false,
      message: `Secret ${ns}/${name} was refreshed after the write but its data is not what the new value renders to ` +
        "(is the template non-deterministic, or did someone edit the Secret?)",
    };
  }
  return annotated === actual
    ? {
      ok: true,
      message: `Secret ${ns}/${name} refreshed after the write (its data comes from more than this key, so the ` +
        "refresh is checked, not the bytes)",
    }
    : { ok: false, message: `Secret ${ns}/${name} does not match the controller's data-hash annotation` };
}

/** What `vault set --sync` did in one cluster. */
export interface ClusterRotation {
  /** ExternalSecrets that follow the key (force-synced). */
  consumers: number;
  /** `namespace/name` of each force-sync requested. */
  keys: string[];
  outcomes: SyncOutcome[];
  errors: number;
  code: number;
}

/**
 * In one cluster: force-syncs every ExternalSecret in scope that reads `name` (latest) through the store, and with
 * `wait` waits until each target Secret holds `value`. A ClusterSecretStore serves every namespace (unless -n
 * narrows it), a SecretStore only its own.
 */
async function syncConsumers(
  client: KubeClient,
  id: StoreId,
  name: string,
  value: string,
  flags: GlobalFlags,
  opts: { wait: boolean; timeoutMs: number; token?: string },
  out: Output,
): Promise<ClusterRotation> {
  const scope = scopeOf(flags, client.namespace);
  const esNamespace = id.kind === "SecretStore" ? id.namespace : (scope.explicit ? scope.namespace : undefined);
  const all = await listAll(client, externalSecrets, {
    ...(esNamespace !== undefined ? { namespace: esNamespace } : {}),
    ...(flags.selector !== undefined ? { labelSelector: flags.selector } : {}),
  });
  const following: ExternalSecret[] = [];
  for (const es of all) {
    const ref = referenceOf(es, id, name);
    if (ref === "follows") following.push(es);
    else if (ref === "pinned") out.warn(`${keyOf(es)} pins a version of "${name}": not synced (it will not change)`);
  }
  const where = esNamespace === undefined ? "in any namespace" : `in namespace "${esNamespace}"`;
  if (following.length === 0) {
    out.out(`no ExternalSecret ${where} reads "${name}" through ${id.kind}/${id.name}: nothing to sync`);
    return { consumers: 0, keys: [], outcomes: [], errors: 0, code: ExitCode.Ok };
  }
  const baseline = opts.wait ? await readBaseline(client, following.map((es) => es.metadata.namespace!)) : undefined;
  // One rotation token for every consumer (in every cluster): the controller lets them share one read after the write.
  const { requests, errors } = await forceSyncAll(client, following, out, (req) => {
    out.out(
      `externalsecret.external-secrets.io/${req.es.metadata.name} sync requested (namespace ${req.es.metadata.namespace})`,
    );
  }, opts.token);
  if (!opts.wait) {
    const keys = requests.map((r) => keyOf(r.es));
    return { consumers: following.length, keys, outcomes: [], errors, code: errors > 0 ? ExitCode.Error : ExitCode.Ok };
  }
  const expected = new Map<string, string | undefined>();
  for (const r of requests) expected.set(keyOf(r.es), await expectedDataHash(r.es, id, name, value));
  const outcomes: SyncOutcome[] = await waitForSyncs(client, requests, {
    timeoutMs: opts.timeoutMs,
    baseline,
    verify: (es) => verifyTarget(client, es, expected.get(keyOf(es))),
    onOutcome: (o) => out.out(outcomeLine(o, out)),
  });
  const keys = requests.map((r) => keyOf(r.es));
  return { consumers: following.length, keys, outcomes, errors, code: exitCodeOf(outcomes, errors > 0) };
}

/** The store the flags name, in a cluster whose default namespace is `contextNamespace`. */
function storeIdOf(opts: VaultSetOptions, flags: GlobalFlags, contextNamespace: string): StoreId {
  const scope = scopeOf(flags, contextNamespace);
  return opts.clusterStore !== undefined
    ? { kind: "ClusterSecretStore", name: opts.clusterStore }
    : { kind: "SecretStore", name: opts.store!, namespace: scope.namespace ?? contextNamespace };
}

/** What was written (a result document's `written`); never the value. */
export interface Written {
  context?: string;
  secret: string;
  vaultUrl: string;
  version: string;
  bytes: number;
  writtenWith: string;
  expiresAt?: string;
}

async function printResult(
  flags: GlobalFlags,
  out: Output,
  written: Written,
  sync: ReturnType<typeof resultOf> | undefined,
  skipped: string[] = [],
): Promise<void> {
  const doc = {
    apiVersion: RESULT_API_VERSION,
    kind: "VaultSetResult",
    written,
    ...(sync ? { sync: { ...sync, ...(skipped.length ? { skipped } : {}) } } : {}),
  };
  out.out(flags.output === "json" ? toJson(doc) : await toYaml(doc));
}

/** Writes the value through `session`'s store; returns the line to print. */
async function writeValue(
  session: Session,
  opts: VaultSetOptions,
  flags: GlobalFlags,
  name: string,
  value: string,
  tags: Record<string, string> | undefined,
  dates: { expiresAt?: Date | undefined; notBefore?: Date | undefined } = {},
): Promise<{ line: string; id: StoreId; written: Written }> {
  const scope = scopeOf(flags, session.namespace);
  const id = storeIdOf(opts, flags, session.namespace);
  let version: string;
  let identity: string;
  let vaultUrl: string;
  try {
    const store = await session.store(id);
    const credNs = id.kind === "SecretStore" ? id.namespace : (scope.explicit ? scope.namespace : undefined);
    const client = await session.vault(store, opts, credNs);
    ({ identity, vaultUrl } = client);
    try {
      ({ version } = await client.kv.pushSecret(name, new TextEncoder().encode(value), {
        ...(opts.contentType ? { contentType: opts.contentType } : {}),
        ...(opts.disabled ? { enabled: false } : {}),
        ...(tags ? { tags } : {}),
        ...(dates.expiresAt ? { expiresAt: dates.expiresAt } : {}),
        ...(dates.notBefore ? { notBefore: dates.notBefore } : {}),
      }));
    } finally {
      await client.kv.close();
    }
  } catch (e) {
    // Key Vault and Entra errors: the provider's messages name the vault and identity, never the value.
    if (e instanceof Error && (e.name === "ProviderError" || e.name === "NoSecretError")) {
      const status = (e as Error & { statusCode?: number }).statusCode;
      const hint = status === 403 && !opts.useLocalCredentials
        ? '; the store\'s identity may not write secrets (it needs e.g. "Key Vault Secrets Officer"): ' +
          "write as yourself with --use-local-credentials"
        : "";
      throw new CliError(`cannot set secret "${name}": ${e.message}${hint}`);
    }
    if (
      opts.useLocalCredentials && e instanceof Error && /CredentialUnavailable|AggregateAuthentication/.test(e.name)
    ) {
      // DefaultAzureCredential's own summary ("A client error occured.") hides which sources it tried and why.
      const causes = (e as Error & { errors?: Error[] }).errors?.map((x) => x.message.split("\n")[0]).join("; ");
      throw new CliError(
        `cannot use your own Azure credentials (DefaultAzureCredential): ${causes || e.message} ` +
          "(set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or run az login)",
      );
    }
    throw e;
  }
  const bytes = new TextEncoder().encode(value).length;
  const size = byteSize(bytes);
  return {
    id,
    written: {
      secret: name,
      vaultUrl,
      version,
      bytes,
      writtenWith: identity,
      ...(dates.expiresAt ? { expiresAt: dates.expiresAt.toISOString() } : {}),
    },
    line: `secret "${name}" set in Key Vault ${vaultUrl}: version ${
      version || "(unknown)"
    }, ${size}, written with ${identity}${
      dates.expiresAt ? `; expires at ${dates.expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z")}` : ""
    }`,
  };
}

/** Runs `vault set`; returns the exit code. */
export async function runVaultSet(opts: VaultSetOptions, flags: GlobalFlags, out: Output): Promise<number> {
  requireOutput(flags, ["json", "yaml"], "vault set");
  if ((opts.store === undefined) === (opts.clusterStore === undefined)) {
    throw new UsageError("name the store to write through: exactly one of --store NAME or --cluster-store NAME");
  }
  const name = parseSecretName(opts.name);
  const tags = parseTags(opts.tag);
  const expiresAt = parseWhen(opts.expires, "--expires");
  const notBefore = parseWhen(opts.notBefore, "--not-before");
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new UsageError(`--expires ${opts.expires}: that is in the past; the new version would be expired at once`);
  }
  if (expiresAt && notBefore && notBefore >= expiresAt) throw new UsageError("--not-before must be before --expires");
  const source = valueSource(opts, Deno.stdin.isTerminal());
  if (opts.wait && !opts.sync) throw new UsageError("--wait needs --sync");
  if (opts.disabled && opts.sync) {
    throw new UsageError("--disabled with --sync: a disabled version cannot be read, so nothing could follow it");
  }
  if (opts.waitTimeout !== undefined && !opts.wait) throw new UsageError("--wait-timeout needs --wait");
  if (opts.store !== undefined && flags.allNamespaces) {
    throw new UsageError("--store names a SecretStore in one namespace: use -n, not -A");
  }
  const timeoutMs = opts.waitTimeout !== undefined ? parseTimeout(opts.waitTimeout) : DEFAULT_WAIT_MS;
  const waves = parseWaves(opts);
  if (flags.contextsFrom === "-" && source.kind === "stdin") {
    throw new UsageError("the value and --contexts-from cannot both come from stdin: give --file FILE for one of them");
  }
  const contexts = await fleetContexts(flags);
  if (contexts === undefined && (opts.waveSize !== undefined || opts.maxFailures !== undefined)) {
    throw new UsageError("--wave-size and --max-failures need several contexts (--context a,b, --all-contexts)");
  }
  const rerun = await rerunIfInsecure(flags, contexts ?? [flags.context]);
  if (rerun !== undefined) return rerun;
  if (source.kind === "value") {
    out.warn(
      "--value puts the secret in your shell history and in the process list; prefer --file FILE or stdin",
    );
  }
  const value = await readValue(source);
  if (contexts !== undefined) {
    return await fleetRotation(contexts, opts, flags, out, {
      name,
      value,
      tags,
      timeoutMs,
      waves,
      dates: { expiresAt, notBefore },
    });
  }

  // -o json|yaml: the lines are replaced by one result document at the end.
  const doc = flags.output === "json" || flags.output === "yaml";
  const lines = doc ? out.withoutStdout() : out;
  const session = await openSession(flags, (w) => out.warn(w));
  try {
    const { line, id, written } = await writeValue(session, opts, flags, name, value, tags, { expiresAt, notBefore });
    lines.out(line);
    if (!opts.sync) {
      if (doc) await printResult(flags, out, written, undefined);
      return ExitCode.Ok;
    }
    const wait = opts.wait === true;
    const token = rotationToken(written.version);
    const r = await syncConsumers(session.client, id, name, value, flags, { wait, timeoutMs, token }, lines);
    if (doc) await printResult(flags, out, written, resultOf(wait, [{ context: undefined, result: r }]));
    return r.code;
  } finally {
    session.close();
  }
}

/** `--wave-size N` (default: every cluster at once) and `--max-failures N` (default 0). */
function parseWaves(opts: VaultSetOptions): { size: number | undefined; maxFailures: number } {
  const num = (text: string | undefined, flag: string, min: number): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} "${text}": a whole number of ${min} or more`);
    return n;
  };
  return { size: num(opts.waveSize, "--wave-size", 1), maxFailures: num(opts.maxFailures, "--max-failures", 0) ?? 0 };
}

/**
 * The fleet rotation: the vault is written once (through the first context, in order, that can reach the store),
 * then every cluster's consumers are force-synced in waves; once more than `--max-failures` clusters failed, the
 * remaining waves are not started. Exit 0 only when every cluster's Secrets hold the new value.
 */
async function fleetRotation(
  contexts: string[],
  opts: VaultSetOptions,
  flags: GlobalFlags,
  out: Output,
  w: {
    name: string;
    value: string;
    tags: Record<string, string> | undefined;
    timeoutMs: number;
    waves: { size: number | undefined; maxFailures: number };
    dates: { expiresAt: Date | undefined; notBefore: Date | undefined };
  },
): Promise<number> {
  const doc = flags.output === "json" || flags.output === "yaml";
  const lines = doc ? out.withoutStdout() : out;
  let written: Written | undefined;
  for (const context of contexts) {
    const own: GlobalFlags = { ...flags, context };
    let session: Session | undefined;
    try {
      session = await openSession(own, (m) => out.warn(`[${context}] ${m}`));
      const done = await writeValue(session, opts, own, w.name, w.value, w.tags, w.dates);
      written = { context, ...done.written };
      lines.out(`[${context}] ${done.line}`);
      break;
    } catch (e) {
      // Key Vault's refusal is the same from every cluster: do not try the next one.
      if (e instanceof CliError && /^cannot set secret/.test(e.message)) throw e;
      const p = problemOf(e);
      out.warn(`[${context}] cannot write through this cluster (${p.reason}: ${p.message}); trying the next context`);
    } finally {
      session?.close();
    }
  }
  if (written === undefined) throw new CliError("no context could write the value: nothing was written");
  const token = rotationToken(written.version);
  if (!opts.sync) {
    if (doc) await printResult(flags, out, written, undefined);
    return ExitCode.Ok;
  }
  const size = w.waves.size ?? contexts.length;
  const results: ClusterResult<ClusterRotation>[] = [];
  const skipped: string[] = [];
  let failedClusters = 0;
  for (let i = 0; i < contexts.length; i += size) {
    const wave = contexts.slice(i, i + size);
    if (failedClusters > w.waves.maxFailures) {
      skipped.push(...wave);
      continue;
    }
    const done = await forEachCluster(wave, flags, out, async (session, context, own) => {
      const mine = lines.prefixed(`[${context}] `);
      const id = storeIdOf(opts, own, session.namespace);
      const r = await syncConsumers(session.client, id, w.name, w.value, own, {
        wait: opts.wait === true,
        timeoutMs: w.timeoutMs,
        token,
      }, mine);
      if (opts.wait && r.consumers > 0) {
        const held = r.outcomes.filter((o) => o.state === "ready").length;
        mine.out(`${held}/${r.consumers} ExternalSecrets hold the new value`);
      }
      return r;
    });
    for (const r of done) {
      if (!r.ok) lines.out(`[${r.context}] ${out.red(r.problem.reason)}: ${r.problem.message}`);
      if (!r.ok || r.value.code !== ExitCode.Ok) failedClusters++;
    }
    results.push(...done);
  }
  for (const c of skipped) {
    lines.out(
      `[${c}] ${
        out.yellow("Skipped")
      }: not synced, ${failedClusters} cluster(s) failed (--max-failures ${w.waves.maxFailures})`,
    );
  }
  let held = 0;
  let notHeld = 0;
  for (const r of results) {
    if (!r.ok) continue;
    notHeld += r.value.errors;
    if (opts.wait) { for (const o of r.value.outcomes) o.state === "ready" ? held++ : notHeld++; }
    else held += r.value.consumers - r.value.errors;
  }
  if (doc) {
    const clusters = results.map((r) =>
      r.ok ? { context: r.context, result: r.value } : { context: r.context, problem: r.problem }
    );
    await printResult(flags, out, written, resultOf(opts.wait === true, clusters), skipped);
  }
  out.err(
    summaryLine(results, {
      what: "ExternalSecrets",
      ready: held,
      notReady: notHeld,
      ...(opts.wait
        ? { readyWord: "hold the new value", notReadyWord: "do not" }
        : { readyWord: "requested", notReadyWord: "failed" }),
    }) + (skipped.length ? `; ${skipped.length} cluster(s) skipped` : ""),
  );
  if (results.some((r) => !r.ok || r.value.code === ExitCode.Error)) return ExitCode.Error;
  if (skipped.length > 0 || results.some((r) => r.ok && r.value.code !== ExitCode.Ok)) return ExitCode.NotReady;
  return ExitCode.Ok;
}
