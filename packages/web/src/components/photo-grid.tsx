import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient } from '../api/api-client.js';
import type { AppConfig, PendingUpload, Upload } from '../api/schemas.js';
import { photoCountText } from '../photos/photo-count.js';
import { Thumbnail } from './thumbnail.js';


/**
 * The stored photos: thumbnails, the count against the minimum, delete with confirmation; and
 * the photos the service is still checking or refused after answering (sent from elsewhere or
 * before a reload), each refusal with its reason.
 */
export function PhotoGrid({
  client,
  config,
  uploads,
  pending,
  onDelete,
  onDismiss,
}: {
  client: ApiClient;
  config: AppConfig;
  uploads: readonly Upload[];
  pending: readonly PendingUpload[];
  onDelete: (upload: Upload) => Promise<void>;
  onDismiss: (photo: PendingUpload) => Promise<void>;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const keep = useRef<HTMLButtonElement>(null);
  // The confirmation takes the focus, on its safe answer, so a keyboard user lands on it.
  useLayoutEffect(() => keep.current?.focus(), [confirming]);
  const count = uploads.length;
  const needed = Math.max(0, config.minPhotos - count);

  return (
    <section class="card" aria-labelledby="photos-title">
      <h2 id="photos-title">Your photos</h2>
      <p class="count" aria-live="polite">
        <strong>{photoCountText(count, config)}</strong>
        {needed > 0 ? `: add ${needed} more to start a training.` : `: enough to train (${config.minPhotos} needed, at most ${config.maxPhotos}).`}
      </p>
      <PendingPhotos pending={pending} onDismiss={onDismiss} />
      {count === 0 ? (
        <p class="hint">No photos yet.</p>
      ) : (
        <ul class="grid">
          {uploads.map((upload, index) => (
            <li key={upload.id} class="grid-item">
              <Thumbnail client={client} id={upload.id} alt={`Your photo ${index + 1}`} />
              {upload.checks.some((check) => check.outcome === 'warning') && (
                <p class="message warning small-text">{upload.checks.filter((c) => c.outcome === 'warning').map((c) => c.message).join(' ')}</p>
              )}
              {confirming === upload.id ? (
                <div class="confirm" role="group" aria-label={`Delete photo ${index + 1}?`}>
                  <p class="small-text">Delete this photo? It is erased, and a training using it stops.</p>
                  <button
                    type="button"
                    class="button danger small"
                    disabled={busy}
                    onClick={() => {
                      setBusy(true);
                      void onDelete(upload).finally(() => {
                        setBusy(false);
                        setConfirming(null);
                      });
                    }}
                  >
                    Yes, delete
                  </button>
                  <button type="button" class="button secondary small" onClick={() => setConfirming(null)} ref={keep}>
                    Keep it
                  </button>
                </div>
              ) : (
                <button type="button" class="button link small" onClick={() => setConfirming(upload.id)}>
                  Delete <span class="visually-hidden">photo {index + 1}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PendingPhotos({ pending, onDismiss }: { pending: readonly PendingUpload[]; onDismiss: (photo: PendingUpload) => Promise<void> }) {
  const checking = pending.filter((photo) => photo.status === 'checking').length;
  const refused = pending.filter((photo) => photo.refusal !== null);
  return (
    <>
      {checking > 0 && (
        <p class="hint checking-note" aria-live="polite">
          {checking === 1 ? '1 photo is being checked; it appears here once it passes.' : `${checking} photos are being checked; they appear here once they pass.`}
        </p>
      )}
      {refused.length > 0 && (
        <ul class="refused-list" aria-label="Photos not accepted">
          {refused.map((photo) => (
            <li key={photo.id} class="refused-item">
              <p class="message error small-text">Not accepted: {photo.refusal?.message}</p>
              <button type="button" class="button link small" onClick={() => void onDismiss(photo)}>
                Dismiss <span class="visually-hidden">this refused photo</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
