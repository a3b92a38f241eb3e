// @kr/dataplane/testing: helpers for tests that need a real kernel. Not part of the
// production entry point.
export { createTestNetns, isRoot, rootNamespaceFingerprint, ROOT_REQUIRED, withNetns, type TestNetns } from './netns.js';
