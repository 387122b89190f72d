// Preloaded by `npm run test:fast` (NODE_OPTIONS): a test that reaches for Postgres fails at
// once instead of passing on a machine that happens to run it, so "fast" stays "no services".
const net = require('node:net');

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connectUnlessPostgres(...args) {
  const target = typeof args[0] === 'object' && args[0] !== null ? args[0] : { port: args[0] };
  if (Number(target.port) === 5432 || String(target.path ?? '').includes('.s.PGSQL')) {
    throw new Error('npm run test:fast runs no Postgres: this test belongs to npm test');
  }
  return connect.apply(this, args);
};
