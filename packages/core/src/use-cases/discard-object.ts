import { okAsync, type ResultAsync } from 'neverthrow';
import type { CoreDeps } from './core-deps.js';

/**
 * Best-effort removal of bytes we decided not to keep. A failure is logged, not returned: the
 * caller's own outcome matters more, and the audit finds objects that have no row.
 */
export function discardObject(deps: CoreDeps, key: string): ResultAsync<void, never> {
  return deps.objects.delete(key).orElse((error) => {
    deps.log.record({ kind: 'storage.discard_failed', detail: { key, code: error.code, detail: error.detail } });
    return okAsync(undefined);
  });
}
