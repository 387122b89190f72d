import { okAsync, ResultAsync } from 'neverthrow';
import { REFUSED_RETENTION_MS } from '../domain/pending-upload.js';
import { UPLOAD_SLOT_TTL_SECONDS } from '../domain/upload.js';
import type { CoreDeps } from './core-deps.js';
import { discardObject } from './discard-object.js';

/**
 * How long a webhook delivery id is remembered. Replays are refused by the record while it is
 * kept and by the timestamp's 5-minute tolerance afterwards: a delivery was recorded within 5
 * minutes of its timestamp, so once it is older than 10 minutes here its replay is stale. An hour
 * leaves room for clock differences.
 */
export const WEBHOOK_DELIVERY_RETENTION_MS = 60 * 60_000;

/**
 * A staging object older than this is abandoned: its slot's URL expired long ago, and a
 * `complete` still in flight had the whole margin to read it.
 */
export const STAGING_EXPIRY_MS = UPLOAD_SLOT_TTL_SECONDS * 1000 + 60 * 60_000;

export interface SweepReport {
  readonly webhookDeliveriesPruned: number;
  readonly stagingObjectsRemoved: number;
  readonly uploadSlotsPruned: number;
  readonly refusedUploadsPruned: number;
}

/**
 * Housekeeping the worker runs on its schedule (issue 15): forgets webhook deliveries past
 * their retention, forgets expired upload slots and removes abandoned staging objects of the
 * presigned flow. Each part is best effort and reported in the log; one failing does not stop the others.
 */
export function sweepExpired(deps: CoreDeps): ResultAsync<SweepReport, never> {
  const now = deps.clock.now().getTime();
  const pruned = deps.uow
    .transaction((repos) => repos.webhookDeliveries.pruneReceivedBefore(new Date(now - WEBHOOK_DELIVERY_RETENTION_MS)))
    .orElse((error) => {
      deps.log.record({ kind: 'sweep.failed', detail: { what: 'webhook_deliveries', code: error.code, detail: error.detail } });
      return okAsync(0);
    });
  // An expired slot no longer counts against the quota; its row is only kept out of the way.
  const slots = deps.uow
    .transaction((repos) => repos.uploadSlots.pruneExpiredBefore(new Date(now)))
    .orElse((error) => {
      deps.log.record({ kind: 'sweep.failed', detail: { what: 'upload_slots', code: error.code, detail: error.detail } });
      return okAsync(0);
    });
  // A refused photo's reason is shown to its owner for a week; its bytes went when it was refused.
  const refused = deps.uow
    .transaction((repos) => repos.pendingUploads.pruneRefusedBefore(new Date(now - REFUSED_RETENTION_MS)))
    .orElse((error) => {
      deps.log.record({ kind: 'sweep.failed', detail: { what: 'refused_uploads', code: error.code, detail: error.detail } });
      return okAsync(0);
    });
  const staged = deps.objects
    .list('staging/')
    .map((objects) => objects.filter((object) => object.lastModified.getTime() < now - STAGING_EXPIRY_MS))
    .andThen((expired) => ResultAsync.combine(expired.map((object) => discardObject(deps, object.key))).map(() => expired.length))
    .orElse((error) => {
      deps.log.record({ kind: 'sweep.failed', detail: { what: 'staging', code: error.code, detail: error.detail } });
      return okAsync(0);
    });
  return ResultAsync.combine([pruned, slots, refused, staged]).map(([webhookDeliveriesPruned, uploadSlotsPruned, refusedUploadsPruned, stagingObjectsRemoved]) => {
    if (webhookDeliveriesPruned + uploadSlotsPruned + refusedUploadsPruned + stagingObjectsRemoved > 0) {
      deps.log.record({ kind: 'sweep.done', detail: { webhookDeliveriesPruned, uploadSlotsPruned, refusedUploadsPruned, stagingObjectsRemoved } });
    }
    return { webhookDeliveriesPruned, stagingObjectsRemoved, uploadSlotsPruned, refusedUploadsPruned };
  });
}
