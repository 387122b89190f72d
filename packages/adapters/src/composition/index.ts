// The composition root (`@selfie-lora/adapters/composition`): the validated environment and the
// inversify container that wires the real adapters from it.
export * from './service-config.js';
export * from './service-container.js';
// The core's configuration from the environment, as the container builds it (tests compose with it).
export { coreConfigFrom } from './core-config.js';
export * from './web-app-settings.js';
