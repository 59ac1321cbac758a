/**
 * `kubectl externalsecret vault get|list|versions`: read a Key Vault through a store, with the store's credentials
 * (as the controller reads it) or with `--use-local-credentials` your own. `list` and `versions` show properties
 * only (names, enabled, dates, content type, tags); `get` shows them and the value's size — the value itself only
 * with `--reveal`, which says so on stderr.
 *
 * @module
 */
import { CliError, ExitCode, UsageError } from "./errors.ts";
import { type GlobalFlags, requireOutput, scopeOf } from "./global.ts";
import { age, byteSize, formatTable, type Output, RESULT_API_VERSION, toJson, toYaml } from "./output.ts";
import { openSession, type StoreId, type VaultOptions } from "./session.ts";
import { parseSecretName } from "./vault_set.ts";

/** Options shared by the vault read commands. */
export interface VaultReadOptions extends VaultOptions {
  store?: string;
  clusterStore?: string;
  name?: string;
  secretVersion?: string;
  reveal?: boolean;
}

type KeyVault = import("../controller/providers/mod.ts").AzureKeyVaultClient;
type SecretInfo = Awaited<ReturnType<KeyVault["listSecretVersions"]>>[number];

/** Opens the store's vault and runs `fn` with it; Key Vault errors read as the other vault commands' do. */
async function withVault<T>(
  opts: VaultReadOptions,
  flags: GlobalFlags,
  out: Output,
  fn: (kv: KeyVault, vault: { url: string; identity: string }) => Promise<T>,
): Promise<T> {
  if ((opts.store === undefined) === (opts.clusterStore === undefined)) {
    throw new UsageError("name the store to read through: exactly one of --store NAME or --cluster-store NAME");
  }
  const session = await openSession(flags, (w) => out.warn(w));
  try {
    const scope = scopeOf(flags, session.namespace);
    const id: StoreId = opts.clusterStore !== undefined
      ? { kind: "ClusterSecretStore", name: opts.clusterStore }
      : { kind: "SecretStore", name: opts.store!, namespace: scope.namespace ?? session.namespace };
    const store = await session.store(id);
    const credNs = id.kind === "SecretStore" ? id.namespace : (scope.explicit ? scope.namespace : undefined);
    const { AzureKeyVaultClient } = await import("../controller/providers/mod.ts");
    const client = await session.vault(store, opts, credNs);
    try {
      if (!(client.kv instanceof AzureKeyVaultClient)) {
        throw new CliError(`${id.kind} "${id.name}" is not Azure Key Vault`);
      }
      return await fn(client.kv, { url: client.vaultUrl, identity: client.identity });
    } finally {
      await client.kv.close();
    }
  } catch (e) {
    if (e instanceof Error && (e.name === "ProviderError" || e.name === "NoSecretError")) {
      throw new CliError(`cannot read Key Vault: ${e.message}`);
    }
    throw e;
  } finally {
    session.close();
  }
}

function tagsText(tags: Record<string, string>): string {
  const t = Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(",");
  return t === "" ? "<none>" : t;
}

async function printDoc(kind: string, body: Record<string, unknown>, flags: GlobalFlags, out: Output): Promise<void> {
  const doc = { apiVersion: RESULT_API_VERSION, kind, ...body };
  out.out(flags.output === "json" ? toJson(doc) : await toYaml(doc));
}

function when(iso: string | undefined, now: Date): string {
  return iso ? age(iso, now) : "<none>";
}

function expires(iso: string | undefined, now: Date): string {
  if (!iso) return "<never>";
  const ms = Date.parse(iso) - now.getTime();
  return ms < 0 ? `expired ${age(iso, now)} ago` : `in ${age(now.toISOString(), new Date(Date.parse(iso)))}`;
}

/** `vault list`: the vault's secrets (properties only). */
export async function runVaultList(opts: VaultReadOptions, flags: GlobalFlags, out: Output): Promise<number> {
  requireOutput(flags, ["json", "yaml", "name"], "vault list");
  return await withVault(opts, flags, out, async (kv, vault) => {
    const items = (await kv.listSecretProperties()).sort((a, b) => a.name.localeCompare(b.name));
    const now = new Date();
    if (flags.output === "json" || flags.output === "yaml") {
      await printDoc("VaultSecretList", { vaultUrl: vault.url, items }, flags, out);
    } else if (flags.output === "name") {
      for (const i of items) out.out(`secret/${i.name}`);
    } else if (items.length === 0) {
      out.err(`No secrets in Key Vault ${vault.url}`);
    } else {
      const table = formatTable(
        ["name", "enabled", "updated", "expires", "content type", "tags"],
        items.map((i) => [
          i.name,
          String(i.enabled),
          when(i.updatedOn, now),
          expires(i.expiresOn, now),
          i.contentType ?? "<none>",
          tagsText(i.tags),
        ]),
        { noHeaders: flags.noHeaders === true },
      );
      out.out(table);
    }
    return ExitCode.Ok;
  });
}

/** `vault versions KEY`: every version of a secret, newest first (properties only). */
export async function runVaultVersions(
  key: string,
  opts: VaultReadOptions,
  flags: GlobalFlags,
  out: Output,
): Promise<number> {
  requireOutput(flags, ["json", "yaml"], "vault versions");
  const name = parseSecretName(key);
  return await withVault(opts, flags, out, async (kv, vault) => {
    const items: SecretInfo[] = await kv.listSecretVersions(name);
    const now = new Date();
    if (flags.output === "json" || flags.output === "yaml") {
      await printDoc("VaultSecretVersions", { vaultUrl: vault.url, secret: name, items }, flags, out);
    } else if (items.length === 0) {
      throw new CliError(`secret "${name}" not found in Key Vault ${vault.url}`);
    } else {
      const table = formatTable(
        ["version", "enabled", "created", "updated", "expires", "content type", "tags"],
        items.map((i) => [
          i.version,
          String(i.enabled),
          when(i.createdOn, now),
          when(i.updatedOn, now),
          expires(i.expiresOn, now),
          i.contentType ?? "<none>",
          tagsText(i.tags),
        ]),
        { noHeaders: flags.noHeaders === true },
      );
      out.out(table);
    }
    return ExitCode.Ok;
  });
}

/** `vault get KEY`: a secret's properties and its size; the value only with `--reveal`. */
export async function runVaultGet(
  key: string,
  opts: VaultReadOptions,
  flags: GlobalFlags,
  out: Output,
): Promise<number> {
  requireOutput(flags, ["json", "yaml"], "vault get");
  const name = parseSecretName(key);
  return await withVault(opts, flags, out, async (kv, vault) => {
    const { value, info } = await kv.getSecretWithProperties(name, opts.secretVersion);
    const bytes = new TextEncoder().encode(value).length;
    if (opts.reveal) out.warn(`printing the value of secret "${name}" (--reveal)`);
    const shown = opts.reveal ? value : `<redacted: ${byteSize(bytes)}; --reveal prints it>`;
    if (flags.output === "json" || flags.output === "yaml") {
      await printDoc(
        "VaultSecret",
        { vaultUrl: vault.url, readWith: vault.identity, ...info, bytes, ...(opts.reveal ? { value } : {}) },
        flags,
        out,
      );
      return ExitCode.Ok;
    }
    const now = new Date();
    const lines: [string, string][] = [
      ["Name", info.name],
      ["Vault", vault.url],
      ["Version", info.version],
      ["Enabled", String(info.enabled)],
      ["Created", info.createdOn ? `${info.createdOn} (${age(info.createdOn, now)} ago)` : "<unknown>"],
      ["Updated", info.updatedOn ? `${info.updatedOn} (${age(info.updatedOn, now)} ago)` : "<unknown>"],
      ["Expires", expires(info.expiresOn, now)],
      ["Content type", info.contentType ?? "<none>"],
      ["Tags", tagsText(info.tags)],
      ["Read with", vault.identity],
      ["Value", shown],
    ];
    const width = Math.max(...lines.map(([k]) => k.length)) + 2;
    out.out(lines.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join("\n"));
    return ExitCode.Ok;
  });
}
