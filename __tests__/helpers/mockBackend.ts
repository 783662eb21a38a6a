// The hook tests use the package's own testing backend: what apps get is what we test with.
export { createMockLiveBackend as createMockBackend, type MockLiveBackend as MockBackend } from '../../src/testing'
