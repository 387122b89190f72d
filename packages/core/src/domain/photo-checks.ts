import type { UploadId } from './ids.js';

// What the photo checks found and what they mean to the owner. The face inspector (a port)
// reports facts (faces, their boxes, sharpness, embeddings); these rules judge them.

/** A face as a face inspector found it, in the pixels of the stored (upright) photo. */
export interface DetectedFace {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Detector confidence, 0..1. */
  readonly score: number;
  /** Variance of the Laplacian over the face, on a fixed-size greyscale crop: higher is sharper. */
  readonly sharpness: number;
  /** Identity embedding: close vectors (cosine) are the same person. */
  readonly embedding: readonly number[];
}

export interface FaceReport {
  readonly width: number;
  readonly height: number;
  readonly faces: readonly DetectedFace[];
}

export type PhotoCheckName = 'face_found' | 'one_face' | 'face_size' | 'sharpness' | 'same_person';
/** `failed` refuses the photo; `warning` keeps it and tells the owner. */
export type CheckOutcome = 'passed' | 'warning' | 'failed';

export interface PhotoCheck {
  readonly name: PhotoCheckName;
  readonly outcome: CheckOutcome;
  /** Written for the owner. */
  readonly message: string;
}

export interface PhotoCheckPolicy {
  /** The face's height as a share of the photo's shorter side, below which it is too small. */
  readonly minFaceShare: number;
  /** Below this sharpness (variance of the Laplacian) the face is too blurry. */
  readonly minSharpness: number;
  /** Cosine similarity at or above which two faces are the same person (measured: docs/benchmarks.md). */
  readonly samePersonSimilarity: number;
}

export const defaultPhotoCheckPolicy: PhotoCheckPolicy = {
  minFaceShare: 0.15,
  minSharpness: 60,
  samePersonSimilarity: 0.6,
};

const messages: Record<PhotoCheckName, Record<Exclude<CheckOutcome, 'passed'>, string> & { passed: string }> = {
  face_found: {
    passed: 'A face was found.',
    warning: 'A face was found.',
    failed: 'No face was found in this photo. Please choose a photo that shows your face.',
  },
  one_face: {
    passed: 'Only one face is in the photo.',
    warning: 'Only one face is in the photo.',
    failed: 'This photo shows more than one face. Please choose a photo of you alone.',
  },
  face_size: {
    passed: 'The face is large enough.',
    warning: 'Your face is small in this photo; a closer photo trains a better model.',
    failed: 'Your face is too small in this photo.',
  },
  sharpness: {
    passed: 'The face is sharp.',
    warning: 'Your face looks blurry in this photo; a sharper photo trains a better model.',
    failed: 'Your face is too blurry in this photo.',
  },
  same_person: {
    passed: 'This looks like the same person as your other photos.',
    warning: 'This photo does not look like the same person as your other photos. It will stop a training until you delete it or it is left out.',
    failed: 'This photo does not look like the same person as your other photos.',
  },
};

export function photoCheck(name: PhotoCheckName, outcome: CheckOutcome): PhotoCheck {
  return { name, outcome, message: messages[name][outcome] };
}

/** The face that counts: the only one (a photo with more is refused before this matters). */
export function mainFace(report: FaceReport): DetectedFace | null {
  return report.faces.length === 1 ? (report.faces[0] ?? null) : null;
}

/**
 * The checks of one photo on its own. No face or several faces fail (the photo is refused: a
 * trainer would learn no face, or someone else's); a small or blurry face only warns.
 */
export function judgeFaces(policy: PhotoCheckPolicy, report: FaceReport): readonly PhotoCheck[] {
  if (report.faces.length === 0) return [photoCheck('face_found', 'failed')];
  if (report.faces.length > 1) return [photoCheck('face_found', 'passed'), photoCheck('one_face', 'failed')];
  const face = report.faces[0]!;
  const share = face.box.height / Math.min(report.width, report.height);
  return [
    photoCheck('face_found', 'passed'),
    photoCheck('one_face', 'passed'),
    photoCheck('face_size', share >= policy.minFaceShare ? 'passed' : 'warning'),
    photoCheck('sharpness', face.sharpness >= policy.minSharpness ? 'passed' : 'warning'),
  ];
}

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

export interface FacedPhoto {
  readonly uploadId: UploadId;
  readonly embedding: readonly number[];
}

/**
 * The photos of a set that are not the set's person. The person is the photo matched by the
 * most others (ties: the earlier photo); every photo not matching it at `samePersonSimilarity`
 * or above is an outsider. A set of two people, even half and half, therefore always names
 * outsiders; a one-person set names none. Pure and order-stable.
 */
export function outsiders(policy: PhotoCheckPolicy, photos: readonly FacedPhoto[]): readonly UploadId[] {
  if (photos.length < 2) return [];
  const same = (a: FacedPhoto, b: FacedPhoto) => cosineSimilarity(a.embedding, b.embedding) >= policy.samePersonSimilarity;
  let reference = photos[0]!;
  let best = -1;
  for (const photo of photos) {
    const matches = photos.filter((other) => other !== photo && same(photo, other)).length;
    if (matches > best) {
      best = matches;
      reference = photo;
    }
  }
  return photos.filter((photo) => photo !== reference && !same(photo, reference)).map((photo) => photo.uploadId);
}

/** The same-person check of a new photo against the owner's photos already stored. */
export function judgeSamePerson(policy: PhotoCheckPolicy, photo: FacedPhoto, others: readonly FacedPhoto[]): PhotoCheck | null {
  if (others.length === 0) return null;
  return photoCheck('same_person', outsiders(policy, [...others, photo]).includes(photo.uploadId) ? 'warning' : 'passed');
}

/** A photo any of whose checks failed is refused. */
export function refusingCheck(checks: readonly PhotoCheck[]): PhotoCheck | null {
  return checks.find((check) => check.outcome === 'failed') ?? null;
}
