/** The socket a `<ConnectionStatus target>` (or `useConnectionStatus`) names. */
import { expect, test } from 'vitest'
import { LiveStatusClient } from '../../src/core'
import { resolveTarget } from '../../src/react/useConnectionStatus'

test.each([
  ["''", ''],
  ['undefined', undefined],
])("an endpoint answering %s (plain JavaScript) names no socket, as null does (before: the server's root, or a throw in render)", (_name, none) => {
  const client = new LiveStatusClient({
    apiUrl: 'http://app.test',
    endpoints: { indexSocket: () => none as never, operationSocket: () => none as never },
  })
  expect(resolveTarget(client, { projectId: 'p' })).toBeNull()
  expect(resolveTarget(client, { operationId: 'o' })).toBeNull()
  expect(resolveTarget(client, '')).toBeNull()
  expect(resolveTarget(client, '/ws/x')).toBe('ws://app.test/ws/x')
  client.dispose()
})
