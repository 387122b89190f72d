import { useRef, useState } from 'preact/hooks';
import type { AppConfig } from '../api/schemas.js';

/** Three ways in: the multi-file picker, the camera, and (on a computer) drag and drop. */
export function PhotoPicker({ config, onFiles }: { config: AppConfig; onFiles: (files: File[]) => void }) {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const accept = config.acceptedTypes.join(',');

  const take = (input: HTMLInputElement) => {
    const files = [...(input.files ?? [])];
    input.value = ''; // picking the same file again still fires change
    if (files.length > 0) onFiles(files);
  };

  return (
    <section class="card" aria-labelledby="pick-title">
      <h2 id="pick-title">Add photos</h2>
      <div
        class={dragging ? 'drop-zone dragging' : 'drop-zone'}
        onDragEnter={(event) => {
          event.preventDefault();
          depth.current += 1;
          setDragging(true);
        }}
        onDragOver={(event) => event.preventDefault()}
        onDragLeave={() => {
          depth.current -= 1;
          if (depth.current <= 0) setDragging(false);
        }}
        onDrop={(event) => {
          event.preventDefault();
          depth.current = 0;
          setDragging(false);
          const files = [...(event.dataTransfer?.files ?? [])];
          if (files.length > 0) onFiles(files);
        }}
      >
        <p class="drop-text">Drop photos here, or</p>
        <div class="pick-buttons">
          <span class="file-button primary">
            <input id="pick-files" class="visually-hidden" type="file" multiple accept={accept} onChange={(e) => take(e.currentTarget)} />
            <label for="pick-files">Choose photos</label>
          </span>
          <span class="file-button secondary">
            <input id="pick-camera" class="visually-hidden" type="file" accept="image/*" capture="user" onChange={(e) => take(e.currentTarget)} />
            <label for="pick-camera">Take a photo</label>
          </span>
        </div>
        <p class="hint">Each photo is checked here first, then by the service. Nothing is uploaded that you did not choose.</p>
      </div>
    </section>
  );
}
