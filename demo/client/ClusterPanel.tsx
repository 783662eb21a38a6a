import { useEffect, useState, useSyncExternalStore } from 'react'
import type { Cluster } from './cluster'

/**
 * The cluster's "network trouble": an instance going away. Stopping the one the socket is on cuts
 * it (like a crashed or removed pod); the page reconnects to the other instance with `?since=`, and
 * the jobs keep running and publishing to Redis meanwhile.
 */
export function ClusterPanel({ cluster }: { cluster: Cluster }) {
  const view = useSyncExternalStore(cluster.subscribe, cluster.view)
  const [refusal, setRefusal] = useState<string | null>(null)
  // Which instances are up, as a balancer's health check would know it.
  useEffect(() => {
    const timer = setInterval(() => void cluster.refresh().catch(() => {}), 1000)
    return () => clearInterval(timer)
  }, [cluster])
  const socket = view.socket
  const socketUrl = view.instances.find((instance) => instance.name === socket?.instance)?.url
  return (
    <fieldset data-testid="cluster">
      <legend>Cluster: two instances over one Redis</legend>
      <div className="row">
        <span data-testid="socket-instance" data-instance={socket?.instance ?? ''} data-state={socket?.state ?? ''}>
          Socket on <strong>{socket ? `instance ${socket.instance}` : '—'}</strong>
          {socketUrl ? <span className="muted"> ({socketUrl.replace(/^https?:\/\//, '')}, {socket!.state})</span> : null}
        </span>
        <span className="muted" data-testid="rest-instance" data-instance={view.rest ?? ''}>
          · last REST call answered by {view.rest ? `instance ${view.rest}` : '—'}
        </span>
      </div>
      <div className="row">
        {view.instances.map((instance) => (
          <span key={instance.name} data-testid={`instance-${instance.name}`} data-up={instance.up} className="instance">
            <strong>{instance.name}</strong> <span className="badge" data-state={instance.up ? 'complete' : 'failed'}>{instance.up ? 'up' : 'stopped'}</span>{' '}
            <button
              type="button"
              onClick={() => {
                setRefusal(null)
                void cluster
                  .setUp(instance.name, !instance.up)
                  .then(setRefusal)
                  .catch((error: unknown) => setRefusal(String(error)))
              }}
            >
              {instance.up ? `Stop ${instance.name}` : `Bring back ${instance.name}`}
            </button>
          </span>
        ))}
      </div>
      {refusal ? <div className="stale">{refusal}</div> : null}
      <div className="muted">
        Each (re)connect goes to the next instance. Network trouble here is an instance going away: stop the one the socket is on and the page
        moves to the other, resuming with <code>?since=</code> — no progress lost, none twice.
      </div>
    </fieldset>
  )
}
