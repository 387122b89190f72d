import { useState } from 'preact/hooks';
import type { AppConfig } from '../api/schemas.js';

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1_000_000)} MB`;
}

/** What the person should know before the browser or phone asks for photos (docs/client-photo-access.md). */
export function NoticeText({ config }: { config: AppConfig }) {
  return (
    <>
      <p class="lead">
        <strong>Choose photos of you, and only you.</strong>
      </p>
      <p>
        Your model learns from the photos you pick here and from nothing else: not other people's photos, not the rest of your library.
        Pick at least {config.minPhotos} clear photos of your face (JPEG, PNG, WebP or HEIC, up to {megabytes(config.maxUploadBytes)} each,
        at least {config.minWidth} x {config.minHeight} pixels).
      </p>
      <ul>
        <li>Only the photos you select leave your device. This page never sees the rest of your library.</li>
        <li>They are stored privately and used only to train your own model.</li>
        <li>You can delete any of them later: deleting erases it, and stops a training that uses it.</li>
      </ul>
      <h3>What your browser or phone will ask</h3>
      <p>
        When you choose photos, your device opens its own picker. It hands this page only the photos you select; a website never gets access
        to your whole library.
      </p>
      <details>
        <summary>iPhone and iPad</summary>
        <p>
          The photo picker shows your library and hands over only what you tap. If an app's access is set to <em>Limited Access</em>, only
          the photos you allowed appear; with <em>Full Access</em> you see them all. To change it, open Settings &gt; Privacy &amp; Security
          &gt; Photos, choose your browser, and pick <em>Limited Access</em> (then <em>Edit Selected Photos</em>) or <em>Full Access</em>.
        </p>
      </details>
      <details>
        <summary>Android</summary>
        <p>
          Android opens the system photo picker, which needs no permission and shares only the photos you select. If your browser asks for
          access to photos and videos, you can allow only the selected ones. To change it later, open Settings &gt; Apps &gt; your browser
          &gt; Permissions &gt; Photos and videos.
        </p>
      </details>
      <details>
        <summary>If the picker shows nothing</summary>
        <ul>
          <li>Take new photos with the camera: use <em>Take a photo</em> below.</li>
          <li>Pick them from Files (or another folder) instead of the photo library.</li>
          <li>On a computer, drag and drop the photos onto the drop area.</li>
        </ul>
      </details>
    </>
  );
}

/** The notice before the first pick, with an explicit consent checkbox (never pre-ticked). */
export function PhotoNotice({ config, onConsent }: { config: AppConfig; onConsent: () => void }) {
  const [checked, setChecked] = useState(false);
  const [missing, setMissing] = useState(false);

  const submit = (event: Event) => {
    event.preventDefault();
    if (!checked) {
      setMissing(true);
      return;
    }
    onConsent();
  };

  return (
    <section class="card notice" aria-labelledby="notice-title">
      <h2 id="notice-title">Before you choose photos</h2>
      <NoticeText config={config} />
      <form onSubmit={submit} noValidate>
        <div class="consent">
          <input
            id="consent"
            type="checkbox"
            checked={checked}
            aria-describedby={missing ? 'consent-missing' : undefined}
            aria-invalid={missing && !checked}
            onChange={(event) => {
              setChecked(event.currentTarget.checked);
              setMissing(false);
            }}
          />
          <label for="consent">I have read this. The photos I choose are of me, and I agree they are used to train my own model.</label>
        </div>
        {missing && (
          <p id="consent-missing" role="alert" class="message error">
            Please tick the box above to agree before choosing photos.
          </p>
        )}
        <button type="submit" class="button primary">
          Continue to choose photos
        </button>
      </form>
    </section>
  );
}
