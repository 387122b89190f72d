/** Identifier source, injected so the core never draws random ids itself. */
export interface IdSource {
  /** A new unique identifier: bounded, printable, safe in storage keys and URLs. */
  next(): string;
}
