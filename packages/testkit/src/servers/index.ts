// Small HTTP servers on loopback for tests: signed-URL file servers and webhook receivers.
export { startFileServer, type FileServer } from './file-server.js';
export { listenOnLoopback, type Listening } from './loopback-server.js';
export { startWebhookReceiver, type Delivery, type WebhookReceiver } from './webhook-receiver.js';
