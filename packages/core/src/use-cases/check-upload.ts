import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { domainError, type DomainError } from '../domain/errors.js';
import { CHECK_HOLD_MS, checkDeferred, isRefusalCode, refusePhoto, type PendingUpload } from '../domain/pending-upload.js';
import { stagingKey } from '../domain/upload.js';
import type { CoreDeps } from './core-deps.js';
import { discardObject } from './discard-object.js';
import { inBatches } from './in-batches.js';
import { judgePhoto, keepPhoto, readSource, type SettleKept } from './photo-intake.js';

/** What became of a photo checked: stored, refused (with its reason), tried again later, or settled elsewhere meanwhile. */
export type CheckVerdict = 'stored' | 'refused' | 'deferred' | 'gone';

export interface CheckReport {
  readonly stored: number;
  readonly refused: number;
  readonly deferred: number;
  readonly gone: number;
}

/**
 * A check that did not store the photo. A refusal (the photo broke a rule) is final and its
 * staged bytes go; anything else (storage, the database or the face inspector unavailable) is
 * tried again later, and refused as `upload.checks_unavailable` after `MAX_CHECK_ATTEMPTS`.
 * A row that changed meanwhile (the owner erased, another worker took it) is left to its new owner.
 */
function settleNotStored(deps: CoreDeps, pending: PendingUpload, error: DomainError): ResultAsync<CheckVerdict, never> {
  const now = deps.clock.now();
  const next = !error.transient && isRefusalCode(error.code) ? refusePhoto(pending, error.code, now) : checkDeferred(pending, deps.config.retryPolicy, now);
  return deps.uow
    .transaction((repos) => repos.pendingUploads.update(next))
    .andThen((written) =>
      written.status === 'refused'
        ? discardObject(deps, stagingKey(pending.ownerId, pending.id)).map((): CheckVerdict => 'refused')
        : okAsync<CheckVerdict, never>('deferred'),
    )
    .orElse((failed) => {
      deps.log.record({ kind: 'upload.check_unsettled', detail: { uploadId: pending.id, code: failed.code, cause: error.code } });
      return okAsync<CheckVerdict, never>('gone');
    });
}

/**
 * Judges one received photo as a photo is judged before the answer (the same `judgePhoto` and
 * `keepPhoto`): reads the bytes as sent from the staging key, normalises and checks them, stores
 * the photo under its final key and, in the transaction that records the `Upload` under the
 * same id, removes the pending row (or marks it refused as a duplicate of the owner's photo).
 * The staged bytes are discarded once the photo is judged. Never fails: the verdict says what happened.
 */
export function checkUpload(deps: CoreDeps, pending: PendingUpload): ResultAsync<CheckVerdict, never> {
  const ids = { ownerId: pending.ownerId, uploadId: pending.id };
  const key = stagingKey(pending.ownerId, pending.id);
  const settle: SettleKept = (repos, kept) =>
    kept.upload.id === pending.id
      ? repos.pendingUploads.remove(pending)
      : repos.pendingUploads.update(refusePhoto(pending, 'upload.duplicate', deps.clock.now())).map(() => undefined);
  return deps.objects
    .read(key)
    .andThen((body) => (body ? readSource(body, deps.config.uploadPolicy.maxBytes) : errAsync(domainError('upload.not_found', `nothing at ${key}`))))
    .andThen((source) => judgePhoto(deps, ids, source))
    .andThen((judged) => keepPhoto(deps, ids, judged, settle))
    .andThen((kept) => discardObject(deps, key).map((): CheckVerdict => (kept.upload.id === pending.id ? 'stored' : 'refused')))
    .orElse((error) => settleNotStored(deps, pending, error));
}

/**
 * The worker's turn at the photos received and still checking: claims up to `limit` due ones
 * (held for `CHECK_HOLD_MS`, so two workers never check the same photo) and checks `atOnce` of
 * them at a time (default 1), so storage and database waits overlap; decodes and the face model
 * are bounded by the image queue whatever this is.
 */
export function checkDueUploads(deps: CoreDeps, input: { readonly limit: number; readonly atOnce?: number }): ResultAsync<CheckReport, DomainError> {
  const now = deps.clock.now();
  return deps.uow
    .transaction((repos) => repos.pendingUploads.claimDue({ now, until: new Date(now.getTime() + CHECK_HOLD_MS), limit: input.limit }))
    .andThen((claimed) => inBatches(claimed, Math.max(1, input.atOnce ?? 1), (pending) => checkUpload(deps, pending)))
    .map((verdicts) => ({
      stored: verdicts.filter((v) => v === 'stored').length,
      refused: verdicts.filter((v) => v === 'refused').length,
      deferred: verdicts.filter((v) => v === 'deferred').length,
      gone: verdicts.filter((v) => v === 'gone').length,
    }));
}
