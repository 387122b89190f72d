import type { ErrorCode } from '@selfie-lora/core';

/**
 * The one table from core error codes to HTTP statuses. Typed as an exhaustive record, so a new
 * code in the core does not typecheck here until it has a status.
 */
export const errorStatus: Readonly<Record<ErrorCode, number>> = {
  'upload.too_large': 413,
  'upload.unsupported_type': 415,
  'upload.corrupt': 422,
  'upload.too_small': 422,
  'upload.not_found': 404,
  // Declared dimensions past the pixel limit, read from the header before any decode.
  'upload.too_many_pixels': 422,
  // The bounded image queue is full: try again shortly (Retry-After).
  'upload.busy': 503,
  // Blocking photo checks (issue 11): the photo is refused, nothing stored.
  'upload.no_face': 422,
  'upload.several_faces': 422,
  'upload.checks_unavailable': 503,
  // A photo checked after the answer (issue 11 point 4) cannot be deleted until it is judged.
  'upload.checking': 409,

  'training.not_enough_photos': 422,
  'training.already_active': 409,
  'training.photos_checking': 409,
  'training.mixed_people': 422,
  'training.too_many_photos': 422,
  'training.photo_not_usable': 422,
  'training.not_found': 404,
  'training.already_finished': 409,
  'training.not_restartable': 409,
  'training.invalid_trigger_word': 422,
  'training.invalid_idempotency_key': 400,
  // Failure reasons recorded on a pipeline; a request meeting one is in conflict with that state.
  'training.canceled_upload_deleted': 409,
  'training.canceled_by_owner': 409,
  'training.retries_exhausted': 503,

  'model.not_found': 404,
  'model.invalid_quarantine_reason': 422,

  // Verification refused what storage or the package holds: the request cannot be processed.
  'verify.upload_missing': 422,
  'verify.object_missing': 422,
  'verify.size_mismatch': 422,
  'verify.hash_mismatch': 422,
  'verify.type_mismatch': 422,
  'verify.foreign_upload': 422,
  'package.wrong_key': 422,
  'package.entry_count_mismatch': 422,
  'package.entry_mismatch': 422,
  'package.hash_mismatch': 422,
  'package.missing': 422,
  'package.unreadable': 422,

  // The trainer is an upstream service: its bad or refused answers are gateway errors.
  'trainer.invalid_response': 502,
  'trainer.destination_mismatch': 502,
  'trainer.unknown_training': 422,
  'trainer.rejected': 502,
  'trainer.training_failed': 502,
  'trainer.training_canceled': 409,
  'trainer.unavailable': 503,
  // Outcomes of an erasure, reported in its record rather than answered to a request.
  'trainer.deletion_refused': 502,
  'erasure.waiting': 409,
  'owner.invalid_id': 422,

  // Per-owner quotas: the answer carries Retry-After (problem.ts).
  'quota.trainings_per_day': 429,
  'quota.stored_photos': 429,
  'quota.stored_bytes': 429,
  'quota.open_slots': 429,

  'storage.unavailable': 503,
  'storage.too_large': 413,
  'persistence.conflict': 409,
  'persistence.unavailable': 503,
  'persistence.constraint': 409,
  // A stored row that no longer parses: our fault, not the caller's, and retrying will not help.
  'persistence.corrupt': 500,
};
