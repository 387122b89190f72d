import { ResultAsync } from 'neverthrow';
import type { ByteStream, ImageInspector } from '@selfie-lora/core';
import type { SharpImageInspector } from './sharp-image-inspector.js';

/**
 * The sharp inspector, loaded on first use: the in-memory core (`@selfie-lora/adapters/memory`)
 * defaults to it, and most of its users never inspect a photo, so they need not load libvips.
 */
export class LazySharpImageInspector implements ImageInspector {
  private loaded: Promise<SharpImageInspector> | null = null;

  private inspector(): Promise<SharpImageInspector> {
    return (this.loaded ??= import('./sharp-image-inspector.js').then((module) => new module.SharpImageInspector()));
  }

  sniff(head: Uint8Array): ReturnType<ImageInspector['sniff']> {
    return ResultAsync.fromSafePromise(this.inspector()).andThen((inspector) => inspector.sniff(head));
  }

  inspect(bytes: ByteStream): ReturnType<ImageInspector['inspect']> {
    return ResultAsync.fromSafePromise(this.inspector()).andThen((inspector) => inspector.inspect(bytes));
  }
}
