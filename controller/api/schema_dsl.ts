/**
 * A tiny builder for OpenAPI v3 structural schemas. The CRD schemas in `schema.ts` are written with it, and both the
 * CRD YAML in `crds/` and the TypeScript types in `types.ts` are generated from them (`deno task codegen`), so the
 * API server and the controller cannot disagree about the shape of an object.
 *
 * @module
 */

/** The subset of `JSONSchemaProps` (apiextensions.k8s.io/v1) that our CRDs use. */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "boolean" | "number";
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema;
  items?: JsonSchema;
  required?: string[];
  enum?: string[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-validations"?: { rule: string; message: string; fieldPath?: string }[];
  /** Codegen only (stripped from the CRD): the TypeScript interface name for an object schema. */
  "x-ts-name"?: string;
  /** Codegen only (stripped from the CRD): the TypeScript type to use verbatim. */
  "x-ts-type"?: string;
}

/** Common options for every schema node. */
export interface NodeOptions {
  description?: string;
  default?: unknown;
}

function withCommon(schema: JsonSchema, opts: NodeOptions | undefined): JsonSchema {
  if (opts?.description !== undefined) schema.description = opts.description;
  if (opts?.default !== undefined) schema.default = opts.default;
  return schema;
}

/** A string, optionally constrained. */
export function str(
  opts?: NodeOptions & {
    pattern?: string;
    minLength?: number;
    maxLength?: number;
    format?: string;
    nullable?: boolean;
  },
): JsonSchema {
  const s: JsonSchema = { type: "string" };
  if (opts?.pattern !== undefined) s.pattern = opts.pattern;
  if (opts?.minLength !== undefined) s.minLength = opts.minLength;
  if (opts?.maxLength !== undefined) s.maxLength = opts.maxLength;
  if (opts?.format !== undefined) s.format = opts.format;
  if (opts?.nullable) s.nullable = true;
  return withCommon(s, opts);
}

/** One of the given string values; the TypeScript type is their union. */
export function enumOf(values: readonly string[], opts?: NodeOptions): JsonSchema {
  return withCommon({ type: "string", enum: [...values] }, opts);
}

/** A boolean. */
export function bool(opts?: NodeOptions): JsonSchema {
  return withCommon({ type: "boolean" }, opts);
}

/** An integer (int32 unless `format` says otherwise). */
export function int(opts?: NodeOptions & { format?: "int32" | "int64" }): JsonSchema {
  return withCommon({ type: "integer", format: opts?.format ?? "int32" }, opts);
}

/** An int-or-string (e.g. a store's legacy `refreshInterval` in seconds or a duration). */
export function intOrString(opts?: NodeOptions): JsonSchema {
  return withCommon({ "x-kubernetes-int-or-string": true, "x-ts-type": "number | string" }, opts);
}

/** An object with known properties. `name` becomes the TypeScript interface name. */
export function obj(
  name: string,
  properties: Record<string, JsonSchema>,
  opts?: NodeOptions & {
    required?: string[];
    minProperties?: number;
    maxProperties?: number;
    preserveUnknownFields?: boolean;
    mapType?: "atomic" | "granular";
    validations?: { rule: string; message: string }[];
  },
): JsonSchema {
  const s: JsonSchema = { type: "object", properties, "x-ts-name": name };
  if (opts?.required?.length) s.required = [...opts.required].sort();
  if (opts?.minProperties !== undefined) s.minProperties = opts.minProperties;
  if (opts?.maxProperties !== undefined) s.maxProperties = opts.maxProperties;
  if (opts?.preserveUnknownFields) s["x-kubernetes-preserve-unknown-fields"] = true;
  if (opts?.mapType) s["x-kubernetes-map-type"] = opts.mapType;
  if (opts?.validations?.length) s["x-kubernetes-validations"] = opts.validations;
  return withCommon(s, opts);
}

/** A map from string keys to values of one schema. */
export function mapOf(values: JsonSchema, opts?: NodeOptions): JsonSchema {
  return withCommon({ type: "object", additionalProperties: values }, opts);
}

/** A list. */
export function arr(items: JsonSchema, opts?: NodeOptions & { minItems?: number; maxItems?: number }): JsonSchema {
  const s: JsonSchema = { type: "array", items };
  if (opts?.minItems !== undefined) s.minItems = opts.minItems;
  if (opts?.maxItems !== undefined) s.maxItems = opts.maxItems;
  return withCommon(s, opts);
}

/** Returns the schema without the codegen-only `x-ts-*` keys, as the API server should see it. */
export function toCrdSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema) as [keyof JsonSchema, unknown][]) {
    if (k === "x-ts-name" || k === "x-ts-type") continue;
    if (k === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, JsonSchema>).map(([p, s]) => [p, toCrdSchema(s)]),
      );
    } else if (k === "items" || k === "additionalProperties") {
      out[k] = toCrdSchema(v as JsonSchema);
    } else {
      (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}
