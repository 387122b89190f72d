import { err, ok, type Result } from 'neverthrow';
import { domainError, type DomainError } from './errors.js';
import type { UploadId } from './ids.js';
import { isChecking, type PendingUpload } from './pending-upload.js';
import { outsiders, type PhotoCheckPolicy } from './photo-checks.js';
import type { Upload } from './upload.js';

export type SelectionError = DomainError<'training.photo_not_usable' | 'training.too_many_photos' | 'training.mixed_people'>;

/**
 * The photos a training starts from: the ones the owner named (`uploadIds`, each one of the
 * owner's stored photos), or by default every stored photo (a photo that failed a check was
 * never stored). More than `max` is refused rather than cut: the owner chooses, not us.
 */
export function selectTrainingPhotos(
  stored: readonly Upload[],
  requested: readonly string[] | undefined,
  max: number,
): Result<readonly Upload[], SelectionError> {
  let chosen: readonly Upload[] = stored;
  if (requested !== undefined) {
    const byId = new Map(stored.map((upload) => [upload.id as string, upload]));
    const unusable = requested.find((id) => !byId.has(id));
    if (unusable !== undefined) return err(domainError('training.photo_not_usable', `"${unusable.slice(0, 140)}" is not a stored photo of this owner`));
    chosen = [...new Set(requested)].map((id) => byId.get(id)!);
  }
  if (chosen.length > max) return err(domainError('training.too_many_photos', `${chosen.length} photos > ${max}`));
  return ok(chosen);
}

/**
 * A set whose photos are not all of one person never trains (issue 11): the photos that do not
 * look like the set's person are named to the owner. Photos without a face embedding (stored
 * before checks existed, or with checks switched off) cannot be compared and are not judged.
 */
export function checkOnePerson(policy: PhotoCheckPolicy, photos: readonly Upload[]): Result<readonly Upload[], SelectionError> {
  const faced = photos.flatMap((upload) => (upload.faceEmbedding ? [{ uploadId: upload.id, embedding: upload.faceEmbedding }] : []));
  const others: readonly UploadId[] = outsiders(policy, faced);
  if (others.length === 0) return ok(photos);
  const error = domainError('training.mixed_people', `not the set's person: ${others.join(', ')}`);
  const named = others.length === 1 ? `This photo does not: ${others[0]}.` : `These photos do not: ${others.join(', ')}.`;
  return err({ ...error, message: `${error.message} ${named} Delete them or leave them out, then start the training again.` });
}

/**
 * A training waits for the checks of the photos it would use (issue 11 point 4): by default any
 * photo still checking (it may become one of the set), else any named one still checking.
 */
export function checkNoneChecking(
  pending: readonly PendingUpload[],
  requested: readonly string[] | undefined,
): Result<void, DomainError<'training.photos_checking'>> {
  const named = requested === undefined ? null : new Set(requested);
  const waiting = pending.filter((photo) => isChecking(photo) && (named === null || named.has(photo.id)));
  return waiting.length === 0 ? ok(undefined) : err(domainError('training.photos_checking', `still checking: ${waiting.map((photo) => photo.id).join(', ')}`));
}
