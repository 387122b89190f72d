import type { ComponentChildren } from 'preact';

export type UploadPhase = 'checking' | 'uploading' | 'stored' | 'duplicate' | 'refused' | 'failed';

export interface QueuedFile {
  readonly key: number;
  readonly file: File;
  readonly phase: UploadPhase;
  /** 0..1 while uploading. */
  readonly progress: number;
  /** Why it was refused or failed, in words. */
  readonly message: string | null;
  /** The upload id once the service answered that it is checking the photo. */
  readonly serverId?: string;
}

const PHASE_WORDS: Record<UploadPhase, string> = {
  checking: 'Checking…',
  uploading: 'Uploading…',
  stored: 'Uploaded',
  duplicate: 'Already uploaded',
  refused: 'Not accepted',
  failed: 'Upload failed',
};

/** One line per picked file: its progress, and what became of it. */
export function UploadQueue({
  items,
  onRetry,
  onDismiss,
}: {
  items: readonly QueuedFile[];
  onRetry: (key: number) => void;
  onDismiss: (key: number) => void;
}) {
  if (items.length === 0) return null;
  return (
    <section class="card" aria-labelledby="queue-title">
      <h2 id="queue-title">Uploads</h2>
      <ul class="queue">
        {items.map((item) => (
          <QueueLine key={item.key} item={item}>
            {item.phase === 'failed' && (
              <button type="button" class="button secondary small" onClick={() => onRetry(item.key)}>
                Retry <span class="visually-hidden">{item.file.name}</span>
              </button>
            )}
            {(item.phase === 'failed' || item.phase === 'refused' || item.phase === 'stored' || item.phase === 'duplicate') && (
              <button type="button" class="button link small" onClick={() => onDismiss(item.key)}>
                Dismiss <span class="visually-hidden">{item.file.name}</span>
              </button>
            )}
          </QueueLine>
        ))}
      </ul>
    </section>
  );
}

function QueueLine({ item, children }: { item: QueuedFile; children: ComponentChildren }) {
  const id = `queue-${item.key}`;
  return (
    <li class={`queue-item ${item.phase}`} data-phase={item.phase}>
      <div class="queue-head">
        <span class="file-name" id={`${id}-name`}>
          {item.file.name}
        </span>
        <span class="phase" aria-live="polite">
          {PHASE_WORDS[item.phase]}
        </span>
      </div>
      {(item.phase === 'uploading' || item.phase === 'checking') && (
        <progress aria-labelledby={`${id}-name`} max={100} value={item.phase === 'checking' ? undefined : Math.round(item.progress * 100)} />
      )}
      {item.message && (
        <p class={item.phase === 'duplicate' ? 'message info' : 'message error'} role={item.phase === 'duplicate' ? undefined : 'alert'}>
          {item.message}
        </p>
      )}
      <div class="queue-actions">{children}</div>
    </li>
  );
}
