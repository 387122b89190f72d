// The pipeline's statuses and the only edges between them (I7).


export const PIPELINE_STATUSES = [
  'queued',
  'verifying_uploads',
  'packaging',
  'verifying_package',
  'submitting',
  'training',
  'succeeded',
  'failed',
  'canceled',
] as const;
export type PipelineStatus = (typeof PIPELINE_STATUSES)[number];
export type TerminalStatus = 'succeeded' | 'failed' | 'canceled';
export type ActiveStatus = Exclude<PipelineStatus, TerminalStatus>;

export function isTerminalStatus(status: PipelineStatus): status is TerminalStatus {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

/** The only edges a pipeline may move along (I7). Storage adapters re-check them on write. */
export const ALLOWED_TRANSITIONS: Readonly<Record<PipelineStatus, readonly PipelineStatus[]>> = {
  queued: ['verifying_uploads', 'failed', 'canceled'],
  verifying_uploads: ['packaging', 'failed', 'canceled'],
  packaging: ['verifying_package', 'failed', 'canceled'],
  verifying_package: ['submitting', 'failed', 'canceled'],
  submitting: ['training', 'failed', 'canceled'],
  training: ['succeeded', 'failed', 'canceled'],
  succeeded: [],
  failed: [],
  canceled: [],
};

export function isAllowedTransition(from: PipelineStatus, to: PipelineStatus): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}
