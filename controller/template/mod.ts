/**
 * ESO's template engine (engine v2) in TypeScript: Go's text/template with Sprig v3 and ESO's own functions,
 * checked against Go itself by tests/conformance.
 *
 * - {@link renderTemplate}: a template string and string values → the rendered string (synchronous).
 * - {@link renderSecretTemplate}: an ExternalSecret's `target.template` applied to fetched values.
 *
 * - {@link compileGoRegexp}: Go's `regexp` (RE2) for patterns outside templates (namespaceRegexes, find, rewrite).
 *
 * Known, deliberate differences from Go are listed in docs/template_differences.md.
 *
 * @module
 */

export {
  preloadTemplateFunctions,
  type RenderedSecret,
  type RenderOptions,
  renderSecretTemplate,
  renderTemplate,
  renderTemplateAsync,
  TemplateError,
  type TemplateFrom,
  type TemplateRef,
  type TemplateScope,
  type TemplateSources,
  type TemplateSpec,
  type TemplateTarget,
} from "./render.ts";
export { type CompiledGoRegexp, compileGoRegexp, type GoRegexpResult } from "./go_regexp.ts";
export { DEFAULT_TEMPLATE_LIMITS, type LimitName, type TemplateLimits } from "./budget.ts";
export { configureTemplateWorkers, stopTemplateWorkers, TemplateWorkersBusy, templateWorkerStats } from "./workers.ts";
