/**
 * `live-status/cross-tab`: one socket per user across browser tabs. A separate entry, so an app
 * that does not share sockets across tabs bundles none of it. Pass its result to the provider or
 * hub: `crossTab={createCrossTab({ key: userId })}`.
 */
export { createCrossTab, type CrossTab, type CrossTabOptions, type CrossTabRequest, type CrossTabRole } from './crossTab'
export type { BroadcastChannelConstructor, BroadcastChannelLike, LockManagerLike } from './tabGroup'
