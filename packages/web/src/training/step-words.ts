import { STEP_NAMES, type Evidence, type Step, type StepName, type Training, type TrainingStatus } from '../api/schemas.js';

// A training's steps and statuses in words a person understands (not the API's names).

export const STEP_TITLES: Record<StepName, string> = {
  verify_uploads: 'Checking your photos',
  package: 'Packing your photos for the trainer',
  verify_package: 'Checking the package',
  submit: 'Handing the package to the trainer',
  train: 'Training your model',
};

const STEP_DOING: Record<StepName, string> = {
  verify_uploads: 'Reading each photo back from storage and checking it is exactly the one you uploaded.',
  package: 'Putting your photos into one archive for the trainer.',
  verify_package: 'Opening the archive again and checking it holds exactly your photos, unchanged.',
  submit: 'Sending the checked archive to the trainer.',
  train: 'The trainer is learning from your photos. This is the longest step.',
};

const STEP_STATUS_WORDS: Record<Step['status'], string> = {
  running: 'in progress',
  succeeded: 'done',
  failed: 'failed',
  canceled: 'canceled',
};

export const STATUS_WORDS: Record<TrainingStatus, string> = {
  queued: 'Waiting to start',
  verifying_uploads: 'Checking your photos',
  packaging: 'Packing your photos',
  verifying_package: 'Checking the package',
  submitting: 'Handing over to the trainer',
  training: 'Training your model',
  succeeded: 'Your model is ready',
  failed: 'The training failed',
  canceled: 'The training was canceled',
};

export interface StepLine {
  readonly name: StepName;
  readonly title: string;
  /** "done", "in progress", "failed", "canceled" or "not started yet". */
  readonly state: string;
  readonly description: string;
  /** What the step verified, as short lines; empty until it succeeded. */
  readonly evidence: readonly string[];
}

function short(hash: string): string {
  return hash.slice(0, 12);
}

function kilobytes(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1000))} kB`;
}

/** The evidence a step recorded, one line per fact. */
export function evidenceLines(evidence: Evidence | null): string[] {
  if (evidence === null) return [];
  if ('uploads' in evidence) {
    return [
      `${evidence.uploads.length} photo${evidence.uploads.length === 1 ? '' : 's'} read back and matched:`,
      ...evidence.uploads.map((u) => `${u.contentType}, ${kilobytes(u.byteSize)}, SHA-256 ${short(u.sha256)}…`),
    ];
  }
  if ('trainerTrainingId' in evidence) return [`Trainer job ${evidence.trainerTrainingId}`, `Model destination ${evidence.destination}`];
  if ('version' in evidence) return [`Model version ${evidence.version}`];
  if (Array.isArray(evidence.entries)) {
    return [
      `Archive SHA-256 ${short(evidence.sha256)}…, ${evidence.entries.length} entries, each matched:`,
      ...evidence.entries.map((e) => `${e.name}: ${kilobytes(e.byteSize)}, SHA-256 ${short(e.sha256)}…`),
    ];
  }
  const packed = evidence as { sha256: string; byteSize: number; entries: number };
  return [`Archive of ${packed.entries} photos, ${kilobytes(packed.byteSize)}, SHA-256 ${short(packed.sha256)}…`];
}

/** Every step of the pipeline in order, including those not reached yet. */
export function stepLines(training: Training): StepLine[] {
  return STEP_NAMES.map((name) => {
    const step = training.steps.findLast((s) => s.name === name);
    return {
      name,
      title: STEP_TITLES[name],
      state: step ? STEP_STATUS_WORDS[step.status] : 'not started yet',
      description: STEP_DOING[name],
      evidence: evidenceLines(step?.evidence ?? null),
    };
  });
}

/** Steps finished out of all steps: for the progress bar. */
export function stepsDone(training: Training): number {
  return STEP_NAMES.filter((name) => training.steps.some((s) => s.name === name && s.status === 'succeeded')).length;
}
