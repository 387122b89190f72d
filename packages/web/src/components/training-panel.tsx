import { useState } from 'preact/hooks';
import { isTerminal, STEP_NAMES, type Training } from '../api/schemas.js';
import { STATUS_WORDS, stepLines, stepsDone } from '../training/step-words.js';

/** The newest training: live progress, each step in words with its evidence on demand, cancel, restart. */
export function TrainingPanel({
  training,
  photoCount,
  minPhotos,
  streamError,
  onStart,
  onCancel,
  onRestart,
}: {
  training: Training | null;
  photoCount: number;
  minPhotos: number;
  streamError: string | null;
  onStart: () => Promise<void>;
  onCancel: (training: Training) => Promise<void>;
  onRestart: (training: Training) => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const act = (action: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    action()
      .catch((cause: Error) => setError(cause.message))
      .finally(() => setBusy(false));
  };
  const active = training !== null && !isTerminal(training.status);
  const enough = photoCount >= minPhotos;
  const restartable = training !== null && (training.status === 'failed' || training.status === 'canceled');

  return (
    <section class="card" aria-labelledby="training-title">
      <h2 id="training-title">Training</h2>
      {training === null && <p>When you have at least {minPhotos} photos, start a training: it makes a model of you from them.</p>}
      {training !== null && (
        <div class={`training status-${training.status}`} data-status={training.status}>
          <p class="training-status" aria-live="polite">
            <strong>{STATUS_WORDS[training.status]}</strong>
          </p>
          <label class="progress-label" for="training-progress">
            {stepsDone(training)} of {STEP_NAMES.length} steps done
          </label>
          <progress id="training-progress" max={STEP_NAMES.length} value={stepsDone(training)} />
          {training.failure && (
            <p role="alert" class="message error">
              {training.failure.message}
            </p>
          )}
          <ol class="steps">
            {stepLines(training).map((line) => (
              <li key={line.name} class={`step state-${line.state.replace(/ /g, '-')}`}>
                <div class="step-head">
                  <span class="step-title">{line.title}</span>
                  <span class="step-state">{line.state}</span>
                </div>
                {line.state === 'in progress' && <p class="small-text">{line.description}</p>}
                {line.evidence.length > 0 && (
                  <details>
                    <summary>What was checked</summary>
                    <ul class="evidence">
                      {line.evidence.map((text, index) => (
                        <li key={index}>{text}</li>
                      ))}
                    </ul>
                  </details>
                )}
              </li>
            ))}
          </ol>
        </div>
      )}
      {streamError && (
        <p role="alert" class="message error">
          {streamError}
        </p>
      )}
      {error && (
        <p role="alert" class="message error">
          {error}
        </p>
      )}
      <div class="actions">
        {active && (
          <button type="button" class="button danger" disabled={busy} onClick={() => act(() => onCancel(training))}>
            Cancel training
          </button>
        )}
        {restartable && (
          <button type="button" class="button primary" disabled={busy} onClick={() => act(() => onRestart(training))}>
            Restart training
          </button>
        )}
        {!active && (
          <button
            type="button"
            class={restartable ? 'button secondary' : 'button primary'}
            disabled={busy || !enough}
            aria-describedby={enough ? undefined : 'start-hint'} onClick={() => act(onStart)}>
            {training === null ? 'Start training' : 'Start a new training'}
          </button>
        )}
        {!active && !enough && (
          <p id="start-hint" class="hint">
            You need at least {minPhotos} photos to start.
          </p>
        )}
      </div>
    </section>
  );
}
