/**
 * Library surface of the operator: the ESO `external-secrets.io/v1` API types, the template engine and the pure
 * planner. Importing this module has no side effects.
 *
 * @module
 */
export { renderTemplate, TemplateError } from "./controller/template/mod.ts";
