import { describe, expect, it } from 'vitest';
import { errorFromAnswer } from '../src/api/api-error.js';
import { modelSchema, trainingSchema, visibleModels } from '../src/api/schemas.js';
import { hasConsented, rememberConsent } from '../src/session/consent.js';
import { fragmentWithoutToken, loadSession, ownerIdFromToken, saveSession, tokenFromFragment } from '../src/session/token.js';

class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  clear() {
    this.items.clear();
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe('server answers', () => {
  it('refuses a training with an unknown status or step rather than guessing', () => {
    const base = { id: 't', status: 'queued', steps: [], failure: null, model: null, createdAt: 'x', updatedAt: 'x' };
    expect(trainingSchema.safeParse(base).success).toBe(true);
    expect(trainingSchema.safeParse({ ...base, status: 'exploded' }).success).toBe(false);
    expect(trainingSchema.safeParse({ ...base, steps: [{ name: 'dance', status: 'running', startedAt: 'x', finishedAt: null, evidence: null }] }).success).toBe(false);
  });

  it('never shows a quarantined or erased model', () => {
    const model = (id: string, status: string) => modelSchema.parse({ id, trainingId: 't', destination: 'a/b', version: 'v', status, trainingSet: [] });
    expect(visibleModels([model('1', 'active'), model('2', 'quarantined'), model('3', 'erased')]).map((m) => m.id)).toEqual(['1']);
  });

  it("shows the server's problem detail, and words of its own for anything else", () => {
    const problem = { type: 'urn:x', title: 'Unprocessable', status: 422, code: 'upload.too_small', detail: 'This photo is too small.' };
    expect(errorFromAnswer(422, JSON.stringify(problem)).message).toBe('This photo is too small.');
    expect(errorFromAnswer(502, '<html>Bad gateway</html>').problem).toMatchObject({ code: 'answer.unreadable', status: 502 });
    expect(errorFromAnswer(0, '').problem.code).toBe('network.failed');
  });
});

describe('session and consent', () => {
  it('reads the host token from the fragment and leaves the rest of it', () => {
    expect(tokenFromFragment('#token=abc.def.ghi')).toBe('abc.def.ghi');
    expect(tokenFromFragment('#view=photos&token=t1')).toBe('t1');
    expect(tokenFromFragment('#view=photos')).toBeNull();
    expect(tokenFromFragment('#token=')).toBeNull();
    expect(fragmentWithoutToken('#token=t1')).toBe('');
    expect(fragmentWithoutToken('#view=photos&token=t1')).toBe('#view=photos');
  });

  it('names the owner a JWT is for, and nothing for a token that is not a JWT', () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'owner-ä-1' })).toString('base64url');
    expect(ownerIdFromToken(`h.${Buffer.from(JSON.stringify({ sub: 'owner-1' })).toString('base64url')}.s`)).toBe('owner-1');
    expect(ownerIdFromToken(`h.${payload}.s`)).not.toBeNull();
    expect(ownerIdFromToken('opaque')).toBeNull();
    expect(ownerIdFromToken('h.!!!.s')).toBeNull();
  });

  it('keeps the session in storage and ignores a damaged entry', () => {
    const storage = new MemoryStorage();
    expect(loadSession(storage)).toBeNull();
    saveSession(storage, { token: 't', ownerId: 'o' });
    expect(loadSession(storage)).toEqual({ token: 't', ownerId: 'o' });
    storage.setItem('selfie-lora.session', '{broken');
    expect(loadSession(storage)).toBeNull();
  });

  it('remembers consent per owner: another person on the same device is asked again', () => {
    const storage = new MemoryStorage();
    expect(hasConsented(storage, 'alice')).toBe(false);
    rememberConsent(storage, 'alice');
    expect(hasConsented(storage, 'alice')).toBe(true);
    expect(hasConsented(storage, 'bob')).toBe(false);
  });
});
