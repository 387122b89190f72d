// The photo-permission consent, remembered per owner on this device (localStorage), so the
// notice comes before the first pick and is not asked again for the same person.

const PREFIX = 'selfie-lora.photo-consent.';

export function hasConsented(storage: Pick<Storage, 'getItem'>, ownerId: string): boolean {
  return storage.getItem(PREFIX + ownerId) === 'given';
}

export function rememberConsent(storage: Pick<Storage, 'setItem'>, ownerId: string): void {
  storage.setItem(PREFIX + ownerId, 'given');
}

export function forgetConsent(storage: Pick<Storage, 'removeItem'>, ownerId: string): void {
  storage.removeItem(PREFIX + ownerId);
}
