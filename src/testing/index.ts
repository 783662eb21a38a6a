/**
 * `live-status/testing`: a fake backend (mock-socket + an in-memory REST router), the reference
 * server's protocol on top of it, and scripted scenarios, for apps' own tests and stories.
 * Needs the `mock-socket` package.
 */
export { createMockLiveBackend, type MockLiveBackend, type RestAnswer, type RestCall, type RestHandler } from './mockLiveBackend'
export { mockReferenceServer, mockScanSocket } from './mockReferenceServer'
export { operationEvents, generateTree, runScan, type OperationType, type ScanIo } from './operationScript'
export { playScenario, every, type ScenarioStep } from './playScenario'
