import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiClient } from '../api/api-client.js';
import { ApiError } from '../api/api-error.js';
import { newIdempotencyKey } from '../api/idempotency-key.js';
import { isTerminal, type AppConfig, type Model, type PendingUpload, type Training, type Upload } from '../api/schemas.js';
import { followTraining } from '../api/training-events.js';
import { uploadPhoto, waitForCheck } from '../api/upload-photo.js';
import { judgeFile, type FileFacts } from '../photos/file-check.js';
import { readFileFacts } from '../photos/read-file-facts.js';
import { hasConsented, rememberConsent } from '../session/consent.js';
import type { Session } from '../session/token.js';
import { ModelList } from './model-list.js';
import { NoticeText, PhotoNotice } from './photo-notice.js';
import { PhotoGrid } from './photo-grid.js';
import { PhotoPicker } from './photo-picker.js';
import { forgetPhoto } from './thumbnail.js';
import { TrainingPanel } from './training-panel.js';
import { UploadQueue, type QueuedFile } from './upload-queue.js';

const DUPLICATE_MESSAGE = 'You already uploaded this photo; it is kept once.';
const UNREADABLE_MESSAGE = 'This file could not be read. If it is still downloading to your device, wait a moment and retry, or choose it again.';

function words(cause: unknown): string {
  return cause instanceof ApiError || cause instanceof Error ? cause.message : 'Something went wrong. Please try again.';
}

/** Everything a signed-in person does: the notice, picking and uploading, the photo set, training, models. */
export function Workspace({ config, session, onSignedOut }: { config: AppConfig; session: Session; onSignedOut: () => void }) {
  const client = useMemo(() => new ApiClient(session.token), [session.token]);
  const [consented, setConsented] = useState(() => hasConsented(localStorage, session.ownerId));
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [pending, setPending] = useState<PendingUpload[]>([]);
  const [queue, setQueue] = useState<QueuedFile[]>([]);
  const [training, setTraining] = useState<Training | null>(null);
  const [models, setModels] = useState<Model[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [streamError, setStreamError] = useState<string | null>(null);
  const nextKey = useRef(1);
  const uploading = useRef<Promise<void>>(Promise.resolve());

  /** A rejected sign-in ends the session; anything else is shown. */
  const fail = useCallback(
    (cause: unknown, show: (text: string) => void) => {
      if (cause instanceof ApiError && cause.problem.status === 401) onSignedOut();
      else show(words(cause));
    },
    [onSignedOut],
  );

  const refreshUploads = useCallback(
    () =>
      client.listPhotos().then(({ stored, pending: received }) => {
        setUploads(stored);
        setPending(received);
      }),
    [client],
  );
  const refreshModels = useCallback(() => client.listModels().then(setModels), [client]);

  useEffect(() => {
    Promise.all([refreshUploads(), refreshModels(), client.listTrainings().then((list) => setTraining(list[0] ?? null))]).catch((cause) =>
      fail(cause, setLoadError),
    );
  }, [client, refreshUploads, refreshModels, fail]);

  // Live progress of an active training from the events stream.
  const followedId = training !== null && !isTerminal(training.status) ? training.id : null;
  useEffect(() => {
    if (followedId === null) return;
    const stop = new AbortController();
    setStreamError(null);
    void followTraining(
      session.token,
      followedId,
      {
        onTraining: (next) => {
          setStreamError(null);
          setTraining((current) => (current === null || current.id === next.id ? next : current));
          if (next.status === 'succeeded') void refreshModels();
        },
        onError: (error) => fail(error, setStreamError),
      },
      stop.signal,
    );
    return () => stop.abort();
  }, [followedId, session.token, refreshModels, fail]);

  const update = (key: number, change: Partial<QueuedFile>) =>
    setQueue((items) => items.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const send = async (key: number, file: File) => {
    update(key, { phase: 'checking', progress: 0, message: null });
    let facts: FileFacts;
    try {
      facts = await readFileFacts(file);
    } catch {
      // A cloud photo not yet on the device, or a file moved since it was picked: say so and
      // offer a retry, rather than leave the line at "Checking…" for good.
      return update(key, { phase: 'failed', message: UNREADABLE_MESSAGE });
    }
    const verdict = judgeFile(facts, config);
    if (!verdict.ok) return update(key, { phase: 'refused', message: verdict.message });
    update(key, { phase: 'uploading', progress: 0 });
    try {
      const outcome = await uploadPhoto(session.token, file, config.presignedThresholdBytes, (progress) => update(key, { progress }));
      // Judged after the answer: wait for the verdict beside the line, so the next photo goes now.
      if (outcome.kind === 'checking') return void settleCheck(key, outcome.pending.id, outcome.duplicate);
      update(key, outcome.duplicate ? { phase: 'duplicate', progress: 1, message: DUPLICATE_MESSAGE } : { phase: 'stored', progress: 1 });
      await refreshUploads();
    } catch (cause) {
      settleFailure(key, cause);
    }
  };

  /** A refusal for the photo itself (4xx but 401/429) will not change on retry; a failure might. */
  const settleFailure = (key: number, cause: unknown) => {
    const status = cause instanceof ApiError ? cause.problem.status : 0;
    const final = status >= 400 && status < 500 && status !== 401 && status !== 408 && status !== 429;
    fail(cause, (message) => update(key, { phase: final ? 'refused' : 'failed', message }));
  };

  const settleCheck = async (key: number, id: string, duplicate: boolean) => {
    update(key, { phase: 'checking', progress: 1, message: null, serverId: id });
    try {
      await waitForCheck(session.token, id);
      update(key, duplicate ? { phase: 'duplicate', progress: 1, message: DUPLICATE_MESSAGE } : { phase: 'stored', progress: 1 });
      await refreshUploads();
    } catch (cause) {
      settleFailure(key, cause);
    }
  };

  // One upload at a time: the order stays the person's, and a phone's uplink is not split.
  const enqueue = (key: number, file: File) => {
    uploading.current = uploading.current.then(() => send(key, file)).catch(() => undefined);
  };

  const addFiles = (files: File[]) => {
    const added = files.map((file) => ({ key: nextKey.current++, file, phase: 'checking' as const, progress: 0, message: null }));
    setQueue((items) => [...added, ...items]);
    for (const item of added) enqueue(item.key, item.file);
  };

  const retry = (key: number) => {
    const item = queue.find((entry) => entry.key === key);
    if (item === undefined || item.phase !== 'failed') return;
    // Marked at once, so a second press before its turn in the line does not send it twice.
    update(key, { phase: 'checking', progress: 0, message: null });
    enqueue(key, item.file);
  };

  // Photos the service is checking that this page did not send (another tab, or before a
  // reload): look again until none is left, so they appear once they pass.
  // This page's own photos are waited for by their upload lines (`waitForCheck`): not polled twice.
  const checkingElsewhere = pending.some((photo) => photo.status === 'checking' && !queue.some((item) => item.serverId === photo.id));
  useEffect(() => {
    if (!checkingElsewhere) return;
    const timer = setTimeout(() => void refreshUploads().catch((cause) => fail(cause, setLoadError)), 2000);
    return () => clearTimeout(timer);
  }, [checkingElsewhere, pending, refreshUploads, fail]);

  const dismissRefused = async (photo: PendingUpload) => {
    try {
      await client.dismissRefused(photo.id);
      await refreshUploads();
    } catch (cause) {
      fail(cause, setLoadError);
    }
  };

  const deletePhoto = async (upload: Upload) => {
    try {
      const answer = await client.deleteUpload(upload.id);
      forgetPhoto(client, upload.id);
      if (answer.canceledTraining) setTraining(answer.canceledTraining);
      await refreshUploads();
    } catch (cause) {
      fail(cause, setLoadError);
    }
  };

  // One key until the server gives a definite answer: a retry after a lost answer (network
  // failure, 5xx) is then the same training, not a second one.
  const startKey = useRef<string | null>(null);
  const start = async () => {
    startKey.current ??= newIdempotencyKey();
    try {
      const started = await client.startTraining(startKey.current);
      startKey.current = null;
      setTraining(started);
    } catch (cause) {
      if (cause instanceof ApiError && cause.problem.status >= 400 && cause.problem.status < 500) startKey.current = null;
      throw cause;
    }
  };
  const cancel = async (current: Training) => setTraining(await client.cancelTraining(current.id));
  const restart = async (current: Training) => setTraining(await client.restartTraining(current.id));

  return (
    <>
      <h1>Your photos and your model</h1>
      {loadError && (
        <p role="alert" class="message error">
          {loadError}
        </p>
      )}
      {!consented ? (
        <PhotoNotice
          config={config}
          onConsent={() => {
            rememberConsent(localStorage, session.ownerId);
            setConsented(true);
          }}
        />
      ) : (
        <>
          <PhotoPicker config={config} onFiles={addFiles} />
          <UploadQueue items={queue} onRetry={retry} onDismiss={(key) => setQueue((items) => items.filter((item) => item.key !== key))} />
        </>
      )}
      <PhotoGrid
        client={client}
        config={config}
        uploads={uploads}
        // What the upload lines above already say is not said twice.
        pending={pending.filter((photo) => !queue.some((item) => item.serverId === photo.id))}
        onDelete={deletePhoto}
        onDismiss={dismissRefused}
      />
      <TrainingPanel
        training={training}
        photoCount={uploads.length}
        minPhotos={config.minPhotos}
        streamError={streamError}
        onStart={start}
        onCancel={cancel}
        onRestart={restart}
      />
      <ModelList client={client} models={models} />
      {consented && (
        <details class="card about">
          <summary>About your photos and permissions</summary>
          <NoticeText config={config} />
        </details>
      )}
    </>
  );
}
