// For repositories only: rebuilding verified values from rows a check once produced.
export * from './domain/rehydrate.js';
