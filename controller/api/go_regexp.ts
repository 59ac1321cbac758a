/**
 * Go regular expressions where ESO uses Go's `regexp` (ClusterSecretStore `namespaceRegexes`, `dataFrom.find`
 * name, `rewrite.regexp`): one implementation, the template engine's (RE2 semantics and linear time on RE2JS,
 * checked against Go by the conformance tests), re-exported here for the API-level callers.
 *
 * @module
 */
export { type CompiledGoRegexp, compileGoRegexp, type GoRegexpResult } from "../template/go_regexp.ts";
