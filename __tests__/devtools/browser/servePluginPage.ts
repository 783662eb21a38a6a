import { servePage, type ServedPage } from '../../helpers/servePage'

/**
 * The plugin test's page (pluginPage.tsx, a development build: the Query devtools render nothing in
 * production) and, on the same loopback origin, the REST status of two operations and a `ws`
 * server for the project socket.
 */
export const servePluginPage = (): Promise<ServedPage> =>
  servePage({
    entry: '__tests__/devtools/browser/pluginPage.tsx',
    title: 'plugin',
    wsPath: '/ws/projects/p1',
    build: { jsx: 'automatic', conditions: ['development'], define: { 'process.env.NODE_ENV': '"development"' } },
    routes: (request, response) => {
      const operation = /^\/api\/operations\/([\w-]+)$/.exec(request.url ?? '')?.[1]
      if (!operation) return false
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: operation, status: 'processing', processed_files: 0, total_files: 10 }))
      return true
    },
  })
