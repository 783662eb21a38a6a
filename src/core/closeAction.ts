/** What a connection does after its socket closed. */
export type CloseAction =
  /** Nothing: we asked for this close. */
  | 'stop'
  /** The server refused the credentials: wait for a new token. */
  | 'unauthorized'
  /** Retrying cannot help (protocol or payload errors): give up until something changes. */
  | 'give-up'
  /** Transient: server restart, network loss, going away. Back off and retry. */
  | 'reconnect'

export interface CloseCodePolicy {
  authCloseCodes: readonly number[]
  fatalCloseCodes: readonly number[]
}

/**
 * The one place that decides whether to reconnect after a close.
 *
 * | close                                   | action         |
 * | --------------------------------------- | -------------- |
 * | requested by us (release, sign-out)     | `stop`         |
 * | in `authCloseCodes` (1008, 4401, 4403)  | `unauthorized` |
 * | in `fatalCloseCodes` (1002, 1003, 1007, 1009, 1010) | `give-up` |
 * | anything else: 1000 from the server, 1001, 1006 (also a failed handshake), 1011, 1012, 1013, 4000–4999 | `reconnect` |
 *
 * A failed handshake is a bare 1006 in browsers, so a token the server rejects before the upgrade
 * looks like a network failure here: the hooks learn the truth from REST and call
 * `markUnauthorized()`.
 */
export function closeAction(code: number, requested: boolean, policy: CloseCodePolicy): CloseAction {
  if (requested) return 'stop'
  if (policy.authCloseCodes.includes(code)) return 'unauthorized'
  if (policy.fatalCloseCodes.includes(code)) return 'give-up'
  return 'reconnect'
}
