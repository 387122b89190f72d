import { useState } from 'preact/hooks';
import { demoSignIn } from '../api/api-client.js';
import type { ApiError } from '../api/api-error.js';
import type { AppConfig } from '../api/schemas.js';
import { saveSession, type Session } from '../session/token.js';

export function SignIn({ config, onSignedIn }: { config: AppConfig; onSignedIn: (session: Session) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const signInAsDemo = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await demoSignIn();
      const session = { token: answer.token, ownerId: answer.ownerId };
      saveSession(sessionStorage, session);
      onSignedIn(session);
    } catch (cause) {
      setError((cause as ApiError).message);
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Train an image model of you, from your own photos</h1>
      <p>Upload a few clear photos of your face, start a training, and follow it step by step. Your photos are used for your model only.</p>
      {config.demoSignIn ? (
        <>
          <button type="button" class="button primary" onClick={() => void signInAsDemo()} disabled={busy}>
            {busy ? 'Signing in…' : 'Continue as the demo user'}
          </button>
          <p class="hint">This local demo has no accounts: everything you do belongs to the demo user on this computer.</p>
        </>
      ) : (
        <p>
          Please open this page from the application you signed in to: it hands this page your sign-in. If you came here directly, go back
          to that application and follow its link to your photos.
        </p>
      )}
      {error && (
        <p role="alert" class="message error">
          {error}
        </p>
      )}
    </section>
  );
}
