/**
 * The core's `isUnfinished` as a SQL condition on a `pipelines` row aliased `alias`: active, or
 * ended after packaging began with its package not yet deleted (`needsCleanup`). The one SQL
 * copy of that rule; the repository and lease contract tests pin it to the core's function in
 * every lifecycle state.
 */
export function unfinishedPipelineSql(alias: string): string {
  return `(${alias}.status NOT IN ('succeeded', 'failed', 'canceled')
  OR (${alias}.state->>'packageDeletedAt' IS NULL AND ${alias}.state->'steps' @> '[{"name": "package"}]'))`;
}
