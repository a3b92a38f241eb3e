// Test helpers other packages' tests use: an in-process list/watch API server.
export { FakeApiServer, mergePatch, type FakeApiServerOptions, type RecordedRequest } from './fake-api-server.js';
export { makeTestPki, type TestPki } from './certs.js';
