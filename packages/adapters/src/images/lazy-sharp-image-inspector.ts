import { ResultAsync } from 'neverthrow';
import type { ImageInspector, PhotoNormaliser } from '@selfie-lora/core';
import type { SharpImageInspector } from './sharp-image-inspector.js';
import type { SharpPhotoNormaliser, SharpPhotoNormaliserOptions } from './sharp-photo-normaliser.js';

/**
 * The sharp inspector and normaliser, loaded on first use: the in-memory core
 * (`@selfie-lora/adapters/memory`) defaults to them, and most of its users never inspect a
 * photo, so they need not load libvips.
 */
export class LazySharpImageInspector implements ImageInspector {
  private loaded: Promise<SharpImageInspector> | null = null;

  private inspector(): Promise<SharpImageInspector> {
    return (this.loaded ??= import('./sharp-image-inspector.js').then((module) => new module.SharpImageInspector()));
  }

  sniff(head: Uint8Array): ReturnType<ImageInspector['sniff']> {
    return ResultAsync.fromSafePromise(this.inspector()).andThen((inspector) => inspector.sniff(head));
  }
}

export class LazySharpPhotoNormaliser implements PhotoNormaliser {
  private loaded: Promise<SharpPhotoNormaliser> | null = null;

  constructor(private readonly options: SharpPhotoNormaliserOptions = {}) {}

  private normaliser(): Promise<SharpPhotoNormaliser> {
    return (this.loaded ??= import('./sharp-photo-normaliser.js').then((module) => new module.SharpPhotoNormaliser(this.options)));
  }

  normalise(bytes: Uint8Array): ReturnType<PhotoNormaliser['normalise']> {
    return ResultAsync.fromSafePromise(this.normaliser()).andThen((normaliser) => normaliser.normalise(bytes));
  }
}
