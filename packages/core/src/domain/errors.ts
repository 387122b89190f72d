// Every expected failure is a value with a stable machine code and a message written for the
// person using the app. The HTTP shell maps codes to statuses; the messages live here, once.

export const errorMessages = {
  // uploads
  'upload.too_large': 'This photo is larger than the allowed size. Please choose a smaller photo.',
  'upload.unsupported_type': 'This file is not a JPEG, PNG, WebP or HEIC photo. Please choose a photo in one of those formats.',
  'upload.corrupt': 'This photo could not be read; it may be empty, truncated or damaged. Please choose another photo.',
  'upload.too_small': 'This photo is too small. Please choose a photo of at least the minimum size.',
  'upload.not_found': 'We could not find that photo.',
  'upload.too_many_pixels': 'This photo has more pixels than we can process. Please choose a photo of at most about 40 megapixels, or a smaller copy of it.',
  'upload.no_face': 'No face was found in this photo. Please choose a photo that shows your face.',
  'upload.several_faces': 'This photo shows more than one face. Please choose a photo of you alone.',
  'upload.checks_unavailable': 'We cannot check photos right now. Please try again shortly.',
  'upload.busy': 'We are processing many photos right now. Please try again in a few seconds.',
  'upload.checking': 'This photo is still being checked. Please wait a moment, then try again.',
  // trainings
  'training.not_enough_photos': 'You need more photos before a model can be trained. Please upload more of your own photos.',
  'training.photos_checking': 'Some of your photos are still being checked. Please wait a moment, then start the training.',
  'training.already_active': 'A training is already in progress for you. Wait for it to finish or cancel it first.',
  'training.mixed_people': 'Some of your photos do not look like the same person as the others, so a model cannot be trained on them.',
  'training.too_many_photos': 'Too many photos were chosen for one training. Please choose fewer photos.',
  'training.photo_not_usable': 'One of the chosen photos is not one of your stored photos. Please choose from your stored photos.',
  'training.not_found': 'We could not find that training.',
  'training.already_finished': 'This training has already finished and cannot be changed.',
  'training.not_restartable': 'Only a failed or canceled training can be restarted.',
  'training.invalid_trigger_word': 'The trigger word must be 1 to 32 letters, digits, dashes or underscores.',
  'training.invalid_idempotency_key': 'The Idempotency-Key must be 1 to 128 visible ASCII characters.',
  'training.canceled_upload_deleted': 'This training was canceled because one of its photos was deleted. You can start a new training with your current photos.',
  'training.canceled_by_owner': 'This training was canceled at your request.',
  'training.retries_exhausted': 'A service we depend on kept failing, so this training was stopped. Please restart it later.',
  // models
  'model.not_found': 'We could not find that model.',
  'model.invalid_quarantine_reason': 'A quarantine needs a reason: 1 to 500 characters of text, without control characters.',
  // verification of uploads before packaging (I2)
  'verify.upload_missing': 'One of your photos is no longer available, so training was stopped. Please restart the training.',
  'verify.object_missing': 'One of your photos could not be found in storage, so training was stopped. Please upload it again and restart.',
  'verify.size_mismatch': 'One of your stored photos changed unexpectedly, so training was stopped to protect you. Please restart the training.',
  'verify.hash_mismatch': 'One of your stored photos changed unexpectedly, so training was stopped to protect you. Please restart the training.',
  'verify.type_mismatch': 'One of your stored photos is no longer a valid image, so training was stopped. Please restart the training.',
  'verify.foreign_upload': 'A photo that is not yours was found in the training set, so training was stopped to protect you.',
  // packaging (I3)
  'package.wrong_key': 'The training package was not stored where expected, so training was stopped. Please restart the training.',
  'package.entry_count_mismatch': 'The training package did not contain exactly your photos, so training was stopped. Please restart the training.',
  'package.entry_mismatch': 'The training package did not contain exactly your photos, so training was stopped. Please restart the training.',
  'package.hash_mismatch': 'The training package was damaged in storage, so training was stopped. Please restart the training.',
  'package.missing': 'The training package could not be found, so training was stopped. Please restart the training.',
  'package.unreadable': 'The training package could not be read back, so training was stopped. Please restart the training.',
  // trainer (I4, I5)
  'trainer.invalid_response': 'The training service gave an answer we could not verify, so training was stopped to protect you. Please restart the training.',
  'trainer.destination_mismatch': 'The training service reported a different destination for your model, so training was stopped to protect you.',
  'trainer.unknown_training': 'That training is not known here.',
  'trainer.rejected': 'The training service refused this training. Please restart it later.',
  'trainer.training_failed': 'Training your model failed at the training service. You can restart it.',
  'trainer.training_canceled': 'The training was canceled at the training service.',
  'trainer.unavailable': 'The training service is not reachable right now.',
  'trainer.deletion_refused': 'The training service refused to delete this trained model; an operator has been told.',
  // privacy (erasure, retention)
  'erasure.waiting': 'This will be erased as soon as the training it belongs to has stopped.',
  'owner.invalid_id': 'That is not a valid owner id: it has 1 to 128 letters, digits and simple punctuation, and starts with a letter or digit.',
  // quotas (issue 15): answered 429 with Retry-After
  'quota.trainings_per_day': 'You have started as many trainings as allowed in one day. Please try again later.',
  'quota.stored_photos': 'You have stored as many photos as allowed. Please delete some photos before uploading more.',
  'quota.stored_bytes': 'Your photos use all the storage space allowed. Please delete some photos before uploading more.',
  'quota.open_slots': 'You have started too many uploads that are not finished. Please finish or wait for them before starting more.',
  // infrastructure
  'storage.unavailable': 'Photo storage is not reachable right now. Please try again shortly.',
  'storage.too_large': 'The file is larger than the allowed size.',
  'persistence.conflict': 'Someone else changed this at the same time. Please try again.',
  'persistence.unavailable': 'The database is not reachable right now. Please try again shortly.',
  'persistence.constraint': 'This change was refused because it would break a data integrity rule.',
  'persistence.corrupt': 'Some stored data could not be read. It has been kept as it is for an operator to look at.',
} as const;

export type ErrorCode = keyof typeof errorMessages;

export interface DomainError<C extends ErrorCode = ErrorCode> {
  readonly code: C;
  /** Written for the end user. */
  readonly message: string;
  /** Technical context for logs and operators; never shown as the message. */
  readonly detail?: string | undefined;
  /** Transport trouble (timeouts, 5xx, 429, resets): the step runner retries it with backoff. */
  readonly transient?: boolean;
  /** A quota, or a dependency that asked us to wait (a 429): when trying again may succeed (`Retry-After`). */
  readonly retryAfterSeconds?: number;
}

export function domainError<C extends ErrorCode>(code: C, detail?: string): DomainError<C> {
  return { code, message: errorMessages[code], detail };
}

export type TransientCode = 'storage.unavailable' | 'trainer.unavailable' | 'persistence.unavailable' | 'upload.busy' | 'upload.checks_unavailable';

export function transientError<C extends TransientCode>(code: C, detail?: string): DomainError<C> {
  return { code, message: errorMessages[code], detail, transient: true };
}
