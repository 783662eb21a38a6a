// @vitest-environment happy-dom
/**
 * Found by a helper's attack probe (2026-12-05): `useLiveInvalidation` with its schema written
 * inline, as its own doc example writes it, re-subscribed on every render of the component (the
 * schema was an effect dependency), which dropped the coalesce window's pending refetch: a second
 * change inside the window never reached the list. The schema is now read from the latest render.
 */
import { useQuery } from '@tanstack/react-query'
import { screen } from '@testing-library/react'
import { useEffect, useState } from 'react'
import { expect, test } from 'vitest'
import { z } from 'zod'
import { useLiveInvalidation } from '../../src'
import { advance, setupLive, useFakeLiveClock } from '../helpers/renderWithLive'

useFakeLiveClock()

const moduleLevel = z.object({ event: z.string(), data: z.object({ id: z.string() }) })

function Transcripts({ inline }: { inline: boolean }) {
  const [, setTick] = useState(0)
  // A parent that re-renders often (a clock, a progress bar).
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 100)
    return () => clearInterval(timer)
  }, [])
  useLiveInvalidation({
    socket: '/v1/events',
    schema: inline ? z.object({ event: z.string(), data: z.object({ id: z.string() }) }) : moduleLevel,
    discriminator: 'event',
    keysFor: () => [['transcripts']],
  })
  return null
}

function List() {
  const list = useQuery({ queryKey: ['transcripts'], queryFn: async () => (await (await fetch('http://backend.test/v1/transcripts')).json()) as string[] })
  return <span data-testid="list">{list.data?.join(',') ?? ''}</span>
}

for (const inline of [false, true]) {
  test(`a second change inside the coalesce window reaches the list while the component re-renders (schema ${inline ? 'inline' : 'at module level'}); one socket`, async () => {
    const { backend, renderLive } = setupLive({ auth: { type: 'protocol', protocols: (token) => ['bearer', token] } })
    backend.socketAt('/v1/events')
    let list = ['t1']
    backend.route('GET', '/v1/transcripts', () => ({ status: 200, body: list }))
    renderLive(
      <>
        <Transcripts inline={inline} />
        <List />
      </>,
    )
    await advance(50)
    expect(screen.getByTestId('list').textContent).toBe('t1')
    list = ['t1', 't2']
    backend.send('/v1/events', { event: 'CREATED', data: { id: 't2' } })
    await advance(20)
    list = ['t1', 't2', 't3']
    backend.send('/v1/events', { event: 'CREATED', data: { id: 't3' } })
    // In steps, so React renders the ticking parent between them (inside one act it would not).
    for (let i = 0; i < 40; i++) await advance(50)
    expect(screen.getByTestId('list').textContent).toBe('t1,t2,t3')
    expect(backend.created).toHaveLength(1)
  })
}
