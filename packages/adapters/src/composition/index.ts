// The composition root (`@selfie-lora/adapters/composition`): the validated environment and the
// inversify container that wires the real adapters from it.
export * from './service-config.js';
export * from './service-container.js';
export * from './web-app-settings.js';
