// Test helpers other packages' tests use: a real nats-server on a free loopback port.
export { NATS_SERVER_BIN, TestNatsServer, freeLoopbackPort, startNatsServer } from './nats-server.js';
