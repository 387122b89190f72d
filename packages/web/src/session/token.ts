// How a signed-in person's bearer token reaches the page and where it is kept: a host
// application puts it in the URL fragment (#token=...), which browsers never send to servers
// and which the page removes at once; it then lives in sessionStorage (this tab only).

const KEY = 'selfie-lora.session';

export interface Session {
  readonly token: string;
  readonly ownerId: string;
}

/** The token in a fragment like `#token=abc` (other fragment parameters are left alone). */
export function tokenFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token');
  return token !== null && token.trim() !== '' ? token.trim() : null;
}

/** The fragment without its token, '' when nothing else was in it. */
export function fragmentWithoutToken(hash: string): string {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  params.delete('token');
  const rest = params.toString();
  return rest === '' ? '' : `#${rest}`;
}

/**
 * The owner a JWT names (its `sub`), for per-owner settings such as the remembered consent.
 * Not a security decision: the server verifies the token on every call.
 */
export function ownerIdFromToken(token: string): string | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const json: unknown = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    if (typeof json === 'object' && json !== null && 'sub' in json && typeof json.sub === 'string' && json.sub !== '') return json.sub;
  } catch {
    return null;
  }
  return null;
}

export function saveSession(storage: Storage, session: Session): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function loadSession(storage: Storage): Session | null {
  const text = storage.getItem(KEY);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'token' in value && 'ownerId' in value && typeof value.token === 'string' && typeof value.ownerId === 'string') {
      return { token: value.token, ownerId: value.ownerId };
    }
  } catch {
    // a damaged entry is no session
  }
  return null;
}

export function clearSession(storage: Storage): void {
  storage.removeItem(KEY);
}

/** Takes a host-given token out of the address bar into sessionStorage; returns the session. */
export function adoptFragmentToken(): Session | null {
  const token = tokenFromFragment(window.location.hash);
  if (token === null) return null;
  history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}${fragmentWithoutToken(window.location.hash)}`);
  const session = { token, ownerId: ownerIdFromToken(token) ?? 'signed-in' };
  saveSession(sessionStorage, session);
  return session;
}
