/**
 * Reflector (meeting transcriber): one user-level event socket whose events invalidate queries
 * (invalidate, don't patch), a per-transcript socket that replays stored events, and a 5 s poll
 * while a transcript is being processed. See docs/backends.md.
 */
import { useQuery } from '@tanstack/react-query'
import { z } from 'zod'
import { LiveStatusProvider, useLiveInvalidation, useLiveStatusClient, type LiveStatusClientOptions } from '../../src'
import { transcriber, transcriberEventsSocket, transcriptSocket } from '../../src/dialects/transcriber'

export const userEventSchema = z.object({
  event: z.enum(['TRANSCRIPT_CREATED', 'TRANSCRIPT_DELETED', 'TRANSCRIPT_STATUS', 'TRANSCRIPT_FINAL_TITLE', 'TRANSCRIPT_DURATION']),
  data: z.looseObject({ id: z.string() }),
})

export const transcriptEventSchema = z.object({
  event: z.enum(['TRANSCRIPT', 'TOPIC', 'STATUS', 'FINAL_TITLE', 'FINAL_LONG_SUMMARY', 'FINAL_SHORT_SUMMARY', 'ACTION_ITEMS', 'DURATION', 'WAVEFORM']),
  data: z.unknown().optional(),
})

export const transcriptKeys = {
  list: ['transcripts'] as const,
  one: (id: string) => ['transcript', id] as const,
}

export { transcriberEventsSocket as reflectorEventsSocket, transcriptSocket }

/** Everything the transcriber needs is its dialect; the token is the provider's `accessToken`. */
export function reflectorOptions(apiUrl: string): LiveStatusClientOptions {
  return { apiUrl, dialect: transcriber }
}

/** Mount once near the root: every user event marks the list and that transcript stale. */
export function useTranscriptEvents() {
  useLiveInvalidation({
    socket: transcriberEventsSocket,
    schema: userEventSchema,
    keysFor: (event) => [transcriptKeys.list, transcriptKeys.one(event.data.id)],
    resyncKeys: [transcriptKeys.list],
  })
}

type Transcript = { id: string; status: string; title?: string }

/** One transcript: its own socket while shown, and a 5 s poll while it is being processed. */
export function useTranscript(id: string) {
  const client = useLiveStatusClient()
  useLiveInvalidation({ socket: transcriptSocket(id), schema: transcriptEventSchema, keysFor: () => [transcriptKeys.one(id)] })
  return useQuery({
    queryKey: transcriptKeys.one(id),
    queryFn: ({ signal }) => client.getJson(`/v1/transcripts/${encodeURIComponent(id)}`, { signal }) as Promise<Transcript>,
    // The socket must not be a single point of failure.
    refetchInterval: (query) => (['processing', 'uploaded', 'recording'].includes(query.state.data?.status ?? '') ? 5000 : false),
  })
}

function TranscriptTitle({ id }: { id: string }) {
  const { data } = useTranscript(id)
  return <h2>{data?.title ?? data?.status ?? '…'}</h2>
}

function Events() {
  useTranscriptEvents()
  return null
}

export function ReflectorApp({ accessToken }: { accessToken: string | undefined }) {
  return (
    <LiveStatusProvider {...reflectorOptions('https://reflector.example.com')} accessToken={accessToken}>
      <Events />
      <TranscriptTitle id="t1" />
    </LiveStatusProvider>
  )
}
