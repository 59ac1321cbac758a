// Admin API (plain HTTP on 127.0.0.1) so another process (a controller under test, a shell, kubectl) can seed,
// inject faults and read counters. JSON in and out; errors are {"error": "..."} with 400/404. Not counted.
import type { RecordFilter } from "./counters.ts";
import { parseFaultRule, type Service } from "./faults.ts";
import { type Exchange, type Handled, type Handler, jsonReply, type Reply } from "./http.ts";
import type { Access } from "./identities.ts";
import type { AzureEmulators } from "./mod.ts";
import { epochSeconds, parseSeed } from "./seed.ts";
import type { CreateCertificateInput, CreateKeyInput } from "./store.ts";

class AdminError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function body(ex: Exchange): Record<string, unknown> {
  if (ex.body.trim() === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(ex.body);
  } catch {
    throw new AdminError(400, "body is not JSON");
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new AdminError(400, "body must be a JSON object");
  return v as Record<string, unknown>;
}

function filterFrom(q: URLSearchParams): RecordFilter {
  const f: RecordFilter = {};
  const service = q.get("service");
  if (service) f.service = service as Service;
  for (const k of ["vault", "route", "caller"] as const) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  const status = q.get("status");
  if (status) f.status = Number(status);
  const after = q.get("afterSeq");
  if (after) f.afterSeq = Number(after);
  return f;
}

async function route(em: AzureEmulators, ex: Exchange): Promise<Reply> {
  const segs = ex.url.pathname.split("/").slice(1).map(decodeURIComponent);
  if (segs[0] !== "_admin") throw new AdminError(404, "admin API lives under /_admin");
  const [, a, b, c, d] = segs;
  const m = ex.method;
  const q = ex.url.searchParams;
  const ok = (v: unknown = { ok: true }): Reply => jsonReply(200, v);

  if (a === undefined || a === "") {
    if (m !== "GET") throw new AdminError(404, "GET /_admin");
    return ok({
      authorityHost: em.authorityHost,
      tenantId: em.tenantId,
      imdsEndpoint: em.imdsEndpoint,
      identityEndpoint: em.identityEndpoint,
      identityHeader: em.identityHeader,
      caCertPath: em.caCertPath,
      tokenLifetimeSeconds: em.tokenLifetimeSeconds,
      vaults: Object.fromEntries(em.vaultNames().map((n) => [n, em.vaultUrl(n)])),
    });
  }
  if (a === "seed" && m === "POST") {
    await em.seed(await parseSeed(ex.body, Deno.cwd()));
    return ok();
  }
  if (a === "token-lifetime" && m === "PUT") {
    const seconds = body(ex).seconds;
    if (typeof seconds !== "number" || seconds <= 0) throw new AdminError(400, "want {seconds: number > 0}");
    em.tokenLifetimeSeconds = seconds;
    return ok();
  }
  if (a === "vaults" && b) {
    if (c === undefined && m === "PUT") return ok({ url: await em.addVault(b) });
    if (c === "secrets" && d) {
      if (m === "PUT") {
        const o = body(ex);
        if (typeof o.value !== "string") {
          throw new AdminError(400, "want {value: string, contentType?, tags?, enabled?, notBefore?, expires?}");
        }
        const nbf = epochSeconds(o.notBefore, "notBefore");
        const exp = epochSeconds(o.expires, "expires");
        return ok(em.setSecret(b, d, o.value, {
          ...(typeof o.contentType === "string" ? { contentType: o.contentType } : {}),
          ...(typeof o.tags === "object" && o.tags !== null ? { tags: o.tags as Record<string, string> } : {}),
          ...(typeof o.enabled === "boolean" ? { enabled: o.enabled } : {}),
          ...(nbf !== undefined ? { notBefore: new Date(nbf * 1000) } : {}),
          ...(exp !== undefined ? { expires: new Date(exp * 1000) } : {}),
        }));
      }
      if (m === "GET") {
        const s = em.getSecret(b, d, q.get("version") ?? undefined);
        if (!s) throw new AdminError(404, `no secret ${d} in vault ${b}`);
        return ok(s);
      }
      if (m === "DELETE") {
        em.deleteSecret(b, d, { purge: q.get("purge") === "true" });
        return ok();
      }
    }
    if (c === "keys" && d && m === "POST") return ok(await em.createKey(b, d, body(ex) as CreateKeyInput));
    if (c === "certificates" && d && m === "POST") {
      return ok(await em.createCertificate(b, d, body(ex) as CreateCertificateInput));
    }
  }
  if (a === "identities") {
    const o = body(ex);
    if (m === "POST" && b === "client-secret" && c === undefined) {
      em.addClientSecretApp(o as never);
      return ok();
    }
    if (m === "POST" && b === "client-certificate" && c === undefined) {
      return ok(em.addClientCertificateApp(o as never));
    }
    if (m === "POST" && b === "federated" && c === undefined) {
      em.addFederatedIdentity(o as never);
      return ok();
    }
    if (m === "POST" && b === "managed" && c === undefined) return ok(em.addManagedIdentity(o as never));
    if (m === "PUT" && b && c === "access" && d) {
      if (o.access !== "read" && o.access !== "write" && o.access !== "none") {
        throw new AdminError(400, `want {access: "read" | "write" | "none"}`);
      }
      em.grant(b, d, o.access as Access);
      return ok();
    }
  }
  if (a === "faults") {
    if (b === undefined && m === "GET") return ok(em.faults.list());
    if (b === undefined && m === "POST") return ok({ id: em.faults.add(parseFaultRule(body(ex))) });
    if (b === undefined && m === "DELETE") {
      em.faults.clear();
      return ok();
    }
    if (b && m === "DELETE") {
      if (!em.faults.remove(b)) throw new AdminError(404, `no fault rule ${b}`);
      return ok();
    }
  }
  if (a === "counters" && b === undefined) {
    if (m === "GET") return ok(em.counters(filterFrom(q)));
    if (m === "DELETE") {
      em.resetCounters();
      return ok();
    }
  }
  if (a === "requests" && b === undefined && m === "GET") return ok(em.requests(filterFrom(q)));
  throw new AdminError(404, `no admin route ${m} ${ex.url.pathname}`);
}

export function adminHandler(em: AzureEmulators): Handler {
  return async (ex: Exchange): Promise<Handled> => {
    let reply: Reply;
    try {
      reply = await route(em, ex);
    } catch (e) {
      const status = e instanceof AdminError ? e.status : 400;
      reply = jsonReply(status, { error: e instanceof Error ? e.message : String(e) });
    }
    return { reply, route: `${ex.method} ${ex.url.pathname}`, caller: "admin" };
  };
}
