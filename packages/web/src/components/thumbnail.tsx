import { useEffect, useState } from 'preact/hooks';
import type { ApiClient } from '../api/api-client.js';

// Photos are fetched with the bearer token (an <img src> cannot send it) and shown as blob URLs,
// kept for the page's life so the grid and the models share one download per photo.
const cache = new Map<string, Promise<string>>();

function photoUrl(client: ApiClient, id: string): Promise<string> {
  const key = `${client.token}:${id}`;
  let url = cache.get(key);
  if (!url) {
    url = client.photoUrl(id);
    cache.set(key, url);
    url.catch(() => cache.delete(key));
  }
  return url;
}

export function forgetPhoto(client: ApiClient, id: string): void {
  const key = `${client.token}:${id}`;
  void cache.get(key)?.then((url) => URL.revokeObjectURL(url), () => undefined);
  cache.delete(key);
}

export function Thumbnail({ client, id, alt }: { client: ApiClient; id: string; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  useEffect(() => {
    let live = true;
    photoUrl(client, id).then(
      (value) => live && setUrl(value),
      () => live && setMissing(true),
    );
    return () => {
      live = false;
    };
  }, [client, id]);
  if (missing) return <span class="thumb missing">Photo deleted</span>;
  if (!url) return <span class="thumb loading" aria-hidden="true" />;
  return <img class="thumb" src={url} alt={alt} />;
}
