/**
 * Rendering as ESO does it: one Go template per key, `missingkey=error`, data = the secret's values as strings, and
 * the `target.template` semantics (data, templateFrom with Values/KeysAndValues/literal, targets Data/Annotations/
 * Labels, mergePolicy). Errors name the key and never carry secret values.
 *
 * @module
 */

import { Budget, RenderPreempted, type Slice, type TemplateLimits, withBudget } from "./budget.ts";
import { ExecFailure, execute } from "./exec.ts";
import { builtinFuncMap, esoFuncMap } from "./funcs.ts";
import type { LazyLib } from "./func.ts";
import { ensureLibs } from "./lazy.ts";
import { type Node, ParseFailure, parseTemplate, type Tree } from "./parser.ts";
import { bytesToString, stringToBytes, toValidUtf8 } from "./gostr.ts";
import { GoMap, type GoValue, T } from "./values.ts";
import { TemplateError } from "./errors.ts";
import { renderInWorker, workersAvailable, workersHaveRoom } from "./workers.ts";

export { TemplateError };
import { parse as parseYaml } from "yaml";

// Go's own message, unredacted, for the conformance test only: kept off the error object so that logging an error
// can never print it.
const goMessages = new WeakMap<TemplateError, string>();

/** The unredacted Go message of an error (conformance testing only). */
export function goMessageOf(e: TemplateError): string {
  return goMessages.get(e) ?? e.message;
}

const MIN_SECRET_LEN = 4;

function redact(message: string, secrets: Iterable<string>): string {
  let out = message;
  const values = [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LEN).sort((a, b) => b.length - a.length);
  for (const v of values) {
    if (out.includes(v)) out = out.split(v).join("[redacted]");
    for (const line of v.split("\n")) {
      const l = line.trim();
      if (l.length >= 8 && out.includes(l)) out = out.split(l).join("[redacted]");
    }
  }
  return out;
}

const PARSE_CACHE_MAX = 512;
const parseCache = new Map<string, Map<string, Tree>>();

function hasFunction(name: string): boolean {
  return esoFuncMap().has(name) || builtinFuncMap().has(name);
}

function parseCached(name: string, text: string): Map<string, Tree> {
  const key = name + "\u0000" + text;
  let set = parseCache.get(key);
  if (!set) {
    set = parseTemplate(name, text, hasFunction);
    if (parseCache.size >= PARSE_CACHE_MAX) parseCache.delete(parseCache.keys().next().value!);
    parseCache.set(key, set);
  }
  return set;
}

function libsUsed(set: Map<string, Tree>): Set<LazyLib> {
  const libs = new Set<LazyLib>();
  const funcs = esoFuncMap();
  const visit = (n: Node | null): void => {
    if (!n) return;
    switch (n.type) {
      case "identifier": {
        const f = funcs.get(n.ident);
        if (f?.needs) libs.add(f.needs);
        return;
      }
      case "list":
        return n.nodes.forEach(visit);
      case "action":
        return visit(n.pipe);
      case "pipe":
        return n.cmds.forEach(visit);
      case "command":
        return n.args.forEach(visit);
      case "chain":
        return visit(n.node);
      case "if":
      case "range":
      case "with":
        visit(n.pipe);
        visit(n.list);
        return visit(n.elseList);
      case "template":
        return visit(n.pipe);
    }
  };
  for (const t of set.values()) visit(t.root);
  return libs;
}

/** Parses and executes one template the way ESO's `execute(name, text, data)` does; returns the output string. */
function run(name: string, text: string, data: Record<string, string>, budget = new Budget()): string {
  const secrets = Object.values(data);
  let set: Map<string, Tree>;
  try {
    set = parseCached(name, text);
  } catch (e) {
    if (e instanceof ParseFailure) throw makeError(e.message, e.message, name, "parse", e.line, undefined, secrets);
    throw e;
  }
  const root = GoMap.of(T.string, new Map(Object.entries(data)));
  try {
    return withBudget(
      budget,
      () => execute({ funcs: esoFuncMap(), builtins: builtinFuncMap(), set }, name, root as GoValue),
    );
  } catch (e) {
    if (e instanceof ExecFailure) throw makeError(e.message, e.redacted, name, "exec", e.line, e.col, secrets);
    if (e instanceof RenderPreempted) throw e;
    // an engine bug must still surface as a TemplateError, and without data in its message
    const msg = `template: ${name}: internal error: ${e instanceof Error ? e.name : "unknown"}`;
    throw makeError(
      `${msg}: ${e instanceof Error ? e.message : String(e)}`,
      msg,
      name,
      "exec",
      undefined,
      undefined,
      secrets,
    );
  }
}

function makeError(
  goMessage: string,
  redacted: string,
  name: string,
  phase: "parse" | "exec",
  line: number | undefined,
  col: number | undefined,
  secrets: string[],
): TemplateError {
  // raw (non-UTF-8) bytes of data show as U+FFFD in a message, as when Go's message is printed or JSON-encoded
  const err = new TemplateError(toValidUtf8(redact(redacted, secrets)), { templateName: name, phase, line, col });
  goMessages.set(err, toValidUtf8(goMessage));
  return err;
}

/**
 * Renders a Go template (text/template + Sprig + ESO's functions, `missingkey=error`) over a map of string values,
 * as ESO renders `target.template.data`. Synchronous: functions backed by lazily loaded libraries (PKCS#12,
 * certificates, bcrypt) need {@link preloadTemplateFunctions} or an async renderer to have run first.
 *
 * @throws {TemplateError} with Go's message (secret values removed).
 */
export function renderTemplate(
  text: string,
  data: Record<string, string>,
  limits: Partial<TemplateLimits> = {},
): string {
  return run("template", text, data, new Budget(limits));
}

/** Like {@link renderTemplate} but loads whatever libraries the template's functions need first. */
export async function renderTemplateAsync(
  text: string,
  data: Record<string, string>,
  name = "template",
  limits: Partial<TemplateLimits> = {},
): Promise<string> {
  await preloadFor(name, text);
  return run(name, text, data, new Budget(limits));
}

async function preloadFor(name: string, text: string): Promise<void> {
  let set: Map<string, Tree>;
  try {
    set = parseCached(name, text);
  } catch {
    return; // the parse error is reported by run()
  }
  const libs = libsUsed(set);
  if (libs.size > 0) await ensureLibs(libs);
}

/** Loads every lazily loaded library, so that the synchronous API can run any function. */
export async function preloadTemplateFunctions(): Promise<void> {
  await ensureLibs(["forge", "bcrypt"]);
}

/** Internal: render with a given template name (ESO names each template after its key). */
export function renderNamed(
  name: string,
  text: string,
  data: Record<string, string>,
  limits: Partial<TemplateLimits> = {},
): string {
  return run(name, text, data, new Budget(limits));
}

// ---------------------------------------------------------------------------------------------------------------------
// ESO's target.template

export type TemplateScope = "Values" | "KeysAndValues";
export type TemplateTarget = "Data" | "Annotations" | "Labels";

export interface TemplateRef {
  name: string;
  items: { key: string; templateAs?: TemplateScope }[];
}

export interface TemplateFrom {
  configMap?: TemplateRef;
  secret?: TemplateRef;
  literal?: string;
  target?: TemplateTarget;
}

export interface TemplateSpec {
  type?: string;
  engineVersion?: "v1" | "v2";
  mergePolicy?: "Replace" | "Merge";
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  data?: Record<string, string>;
  templateFrom?: TemplateFrom[];
}

/** ConfigMaps and Secrets referenced by templateFrom, fetched by the caller (the renderer does no I/O). */
export interface TemplateSources {
  configMaps?: Record<string, Record<string, string>>;
  secrets?: Record<string, Record<string, Uint8Array | string>>;
}

export interface RenderedSecret {
  data: Record<string, Uint8Array>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Secret type from the template, if it sets one. */
  type?: string;
}

function asString(v: Uint8Array | string): string {
  return typeof v === "string" ? v : bytesToString(v);
}

/**
 * Applies an ExternalSecret's `target.template` to the fetched values, with ESO's semantics:
 * templateFrom first, then `data` (which takes precedence), then templated labels and annotations; without
 * `data`/`templateFrom` the provider data is kept; `mergePolicy: Merge` keeps provider keys beside templated ones,
 * `Replace` (the default) keeps only what the templates produce.
 *
 * @throws {TemplateError} naming the key whose template failed.
 */
export async function renderSecretTemplate(
  spec: TemplateSpec,
  data: Record<string, Uint8Array | string>,
  sources: TemplateSources = {},
  options: RenderOptions = {},
): Promise<RenderedSecret> {
  const limits = options.limits ?? {};
  if (options.offload === "never" || !workersAvailable()) {
    return await renderSecretTemplateIn(spec, data, sources, new Budget(limits), true);
  }
  // (hashing the spec costs more than a typical render: only once some spec has been slow)
  if (slowSpecs.size === 0 || !slowSpecs.has(specKey(spec))) {
    try {
      return await renderSecretTemplateIn(spec, data, sources, new Budget(limits, IN_PROCESS_SLICE), false);
    } catch (e) {
      if (!(e instanceof RenderPreempted)) throw e;
      if (e.repeatable) {
        if (slowSpecs.size >= SLOW_SPECS_MAX) slowSpecs.delete(slowSpecs.values().next().value!);
        slowSpecs.add(specKey(spec));
      } else if (!workersHaveRoom()) {
        // only the clock ran out (maybe the machine is busy) and the workers are full: finish here, within limits
        return await renderSecretTemplateIn(spec, data, sources, new Budget(limits), true);
      }
    }
  }
  return await renderInWorker(spec, data, sources, limits);
}

/** How {@link renderSecretTemplate} runs. */
export interface RenderOptions {
  /** Overrides of the default limits (DEFAULT_TEMPLATE_LIMITS) for this render. */
  limits?: Partial<TemplateLimits>;
  /**
   * "auto" (the default): a render that calls a CPU-heavy function (bcrypt, key and certificate generation, PKCS#12,
   * derivePassword) or runs more than 2,000 steps moves to the worker pool, so the event loop stays free;
   * "never": everything runs here (the plugin, the workers themselves), still within the limits.
   */
  offload?: "auto" | "never";
}

/**
 * How long a render may hold the event loop before it moves to a worker: 2,000 steps (about 2 ms on an idle core),
 * or 50 ms of wall time as a backstop for single costly calls (a long regex). Steps decide, not the clock: on a busy
 * machine an ordinary render can be descheduled for milliseconds and must not be sent to the workers for that.
 */
const IN_PROCESS_SLICE: Slice = { steps: 2_000, ms: 50 };
// Specs (by hash) that needed a worker last time go there directly instead of spending another slice here.
const SLOW_SPECS_MAX = 512;
const slowSpecs = new Set<number>();

function specKey(spec: TemplateSpec): number {
  const s = JSON.stringify(spec);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

async function renderSecretTemplateIn(
  spec: TemplateSpec,
  data: Record<string, Uint8Array | string>,
  sources: TemplateSources,
  budget: Budget,
  preload: boolean,
): Promise<RenderedSecret> {
  const strData: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) strData[k] = asString(v);
  const secrets = Object.values(strData);
  const out: RenderedSecret = { data: {}, labels: {}, annotations: {} };
  if (spec.type !== undefined) out.type = spec.type;
  Object.assign(out.labels, spec.metadata?.labels ?? {});
  Object.assign(out.annotations, spec.metadata?.annotations ?? {});
  if (spec.mergePolicy === "Merge") {
    for (const [k, v] of Object.entries(data)) out.data[k] = typeof v === "string" ? stringToBytes(v) : v;
  }

  const exec = async (name: string, text: string, where: string): Promise<string> => {
    try {
      if (preload) await preloadFor(name, text);
      return run(name, text, strData, budget);
    } catch (e) {
      if (e instanceof TemplateError) {
        const err = new TemplateError(`${where}: ${e.message}`, {
          templateName: e.templateName,
          phase: e.phase,
          line: e.line,
          col: e.col,
        });
        goMessages.set(err, goMessageOf(e));
        throw err;
      }
      throw e;
    }
  };

  const apply = (target: TemplateTarget | undefined, key: string, value: string): void => {
    switch ((target ?? "Data").toLowerCase()) {
      case "annotations":
        out.annotations[key] = value;
        break;
      case "labels":
        out.labels[key] = value;
        break;
      default:
        out.data[key] = stringToBytes(value);
    }
  };

  const applyValues = async (tpl: Record<string, string>, target: TemplateTarget | undefined, where: string) => {
    for (const [k, text] of Object.entries(tpl)) apply(target, k, await exec(k, text, `${where} ${k}`));
  };

  const applyKeysAndValues = async (text: string, target: TemplateTarget | undefined, where: string) => {
    const rendered = await exec(text, text, where);
    let parsed: unknown;
    try {
      parsed = rendered.trim() === "" ? {} : parseYaml(rendered, { version: "1.1" });
    } catch (e) {
      throw new TemplateError(
        `${where}: could not unmarshal template to 'map[string][]byte': ${
          redact((e as Error).message.split("\n")[0]!, secrets)
        }`,
        { templateName: where, phase: "apply" },
      );
    }
    if (parsed === null || parsed === undefined) parsed = {};
    if (typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new TemplateError(`${where}: could not unmarshal template to 'map[string][]byte': not a mapping`, {
        templateName: where,
        phase: "apply",
      });
    }
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v !== "string") {
        throw new TemplateError(
          `${where}: could not unmarshal template to 'map[string][]byte': value of key ${
            JSON.stringify(k)
          } is not a string`,
          { templateName: where, phase: "apply" },
        );
      }
      apply(target, k, v);
    }
  };

  for (const [i, from] of (spec.templateFrom ?? []).entries()) {
    for (const kind of ["configMap", "secret"] as const) {
      const ref = from[kind];
      if (!ref) continue;
      const src = kind === "configMap" ? sources.configMaps?.[ref.name] : sources.secrets?.[ref.name];
      if (!src) {
        throw new TemplateError(`templateFrom[${i}]: ${kind} ${ref.name} not found`, {
          templateName: ref.name,
          phase: "apply",
        });
      }
      for (const item of ref.items) {
        const raw = src[item.key];
        if (raw === undefined) {
          throw new TemplateError(`templateFrom[${i}]: ${kind} ${ref.name} has no key ${item.key}`, {
            templateName: ref.name,
            phase: "apply",
          });
        }
        const val = asString(raw);
        const where = `template ${kind} ${ref.name} key ${item.key}`;
        if ((item.templateAs ?? "Values") === "KeysAndValues") await applyKeysAndValues(val, from.target, where);
        else apply(from.target, item.key, await exec(item.key, val, where));
      }
    }
    if (from.literal !== undefined) await applyKeysAndValues(from.literal, from.target, `template literal[${i}]`);
  }
  await applyValues(spec.data ?? {}, "Data", "template");
  await applyValues(spec.metadata?.labels ?? {}, "Labels", "template label");
  await applyValues(spec.metadata?.annotations ?? {}, "Annotations", "template annotation");
  const noTemplates = Object.keys(spec.data ?? {}).length === 0 && (spec.templateFrom ?? []).length === 0;
  if (noTemplates) {
    for (const [k, v] of Object.entries(data)) out.data[k] = typeof v === "string" ? stringToBytes(v) : v;
  }
  return out;
}
