// SIMULATED Replicate HTTP API, for development and tests only: nothing here talks to
// api.replicate.com or trains anything. It serves the endpoints our trainer adapter uses
// (models get/create, versions list, trainings create/get/list/cancel), really downloads each
// training's ZIP from its input URL, derives the "trained" version from the SHA-256s of the
// images it received (so a test can prove which photos a model was made of), and signs
// completed webhooks the Standard Webhooks way, retrying them. Every log line says SIMULATED.
export { startReplicateSimulator } from './simulator.js';
export type { RunningSimulator, SimulatorControl, SimulatorOptions } from './simulator.js';
export { defaultKnobs } from './knobs.js';
export type { Knobs, RequestInfo } from './knobs.js';
export type { TrainingRecord, Outcome } from './simulated-replicate.js';
export type { ModelJson, PageJson, TrainingJson, TrainingStatus, VersionJson } from './shapes.js';
export type { WebhookAttempt } from './webhooks.js';
export { versionHash, sha256Hex } from './training-input.js';
