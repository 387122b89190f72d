import { useEffect, useState } from 'preact/hooks';
import { loadAppConfig } from '../api/api-client.js';
import type { ApiError } from '../api/api-error.js';
import type { AppConfig } from '../api/schemas.js';
import { adoptFragmentToken, clearSession, loadSession, type Session } from '../session/token.js';
import { SignIn } from './sign-in.js';
import { Workspace } from './workspace.js';

export function App() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  // A token handed over in the fragment wins over a stored one; it is removed from the address at once.
  const [session, setSession] = useState<Session | null>(() => adoptFragmentToken() ?? loadSession(sessionStorage));

  useEffect(() => {
    loadAppConfig().then(setConfig, (error: ApiError) => setConfigError(error.message));
  }, []);

  const signOut = () => {
    clearSession(sessionStorage);
    setSession(null);
  };

  return (
    <>
      <a class="skip-link" href="#main">Skip to content</a>
      <header class="site-header">
        <p class="brand">Selfie LoRA</p>
        {session && (
          <button type="button" class="button secondary" onClick={signOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {configError && (
          <p role="alert" class="message error">
            {configError}
          </p>
        )}
        {!config && !configError && <p aria-live="polite">Loading…</p>}
        {config && !session && <SignIn config={config} onSignedIn={setSession} />}
        {config && session && <Workspace config={config} session={session} onSignedOut={signOut} />}
      </main>
    </>
  );
}
