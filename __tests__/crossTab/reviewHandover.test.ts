// Review of 13b24d6: a follower's report of the socket dead is judged by `#heardAt`, which is set
// only by frames and never when a real socket is made. A socket still connecting has heard nothing,
// so any report kills it, however young it is: a follower whose connect timeout started under the
// previous leader (it was waiting for that leader's socket to open when the leader went) kills the
// new leader's socket moments after it was made, and with it the new leader's own connection.
// Before this commit the follower's connect timeout closed only its own virtual socket.
import { afterEach, expect, test, vi } from 'vitest'
import type { WebSocketConstructor, WebSocketLike } from '../../src/core'
import { createCrossTab, type CrossTab } from '../../src/transport/crossTab/crossTab'
import type { BroadcastChannelConstructor, BroadcastChannelLike } from '../../src/transport/crossTab/tabGroup'
import { FakeLocks, fakeTab } from '../helpers/fakeTabs'

const cleanups: (() => unknown)[] = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup()
})

/** A socket whose handshake the test completes (`open()`); records how it was closed. */
function heldSockets() {
  const made: Held[] = []
  class Held implements WebSocketLike {
    readyState = 0
    protocol = ''
    bufferedAmount = 0
    onopen: WebSocketLike['onopen'] = null
    onmessage: WebSocketLike['onmessage'] = null
    onerror: WebSocketLike['onerror'] = null
    onclose: WebSocketLike['onclose'] = null
    closedWith: number | undefined
    createdAt = Date.now()
    constructor(readonly url: string) {
      made.push(this)
    }
    open() {
      this.readyState = 1
      this.onopen?.({})
    }
    send() {}
    close(code = 1000) {
      this.closedWith ??= code
      this.readyState = 3
    }
  }
  return { made, Ctor: Held as unknown as WebSocketConstructor }
}

function watch(socket: WebSocketLike) {
  const seen = { opened: 0, closed: null as null | { code: number; reason: string } }
  socket.onopen = () => seen.opened++
  socket.onclose = (event) => (seen.closed = { code: event.code, reason: event.reason })
  return seen
}

test("a follower's connect timeout that began under the previous leader does not kill the new leader's socket made after it", async () => {
  const locks = new FakeLocks()
  const received: string[][] = []
  const tabs = [0, 1, 2].map((index) => {
    const tab = fakeTab(locks, `tab${index}`)
    const seenHere: string[] = (received[index] = [])
    // Records the type of each message this tab's group handled (after handling it).
    class Recording extends (tab.BroadcastChannel as unknown as new (name: string) => BroadcastChannelLike) {
      #handler: BroadcastChannelLike['onmessage'] = null
      constructor(name: string) {
        super(name)
        super.onmessage = (event) => {
          this.#handler?.(event)
          seenHere.push((event.data as { t: string }).t)
        }
      }
      override get onmessage() {
        return this.#handler
      }
      override set onmessage(handler) {
        this.#handler = handler
      }
    }
    const crossTab = createCrossTab({ key: 'review-handover', locks: tab.locks, BroadcastChannel: Recording as unknown as BroadcastChannelConstructor, digest: async (text) => text, tabId: tab.tab, relayBatchMs: 0 }) as CrossTab
    const sockets = heldSockets()
    cleanups.push(() => tab.crash())
    return { ...tab, crossTab, sockets }
  })
  const request = { url: 'ws://127.0.0.1:1/ws', protocols: undefined, firstMessage: undefined, identity: 'same' }
  // Tab 0 leads; its socket is slow to connect (a server under load). Tabs 1 and 2 join, waiting for it to open.
  const v0 = tabs[0]!.crossTab.open(request, tabs[0]!.sockets.Ctor)
  await vi.waitFor(() => expect(tabs[0]!.sockets.made).toHaveLength(1))
  const v1 = tabs[1]!.crossTab.open(request, tabs[1]!.sockets.Ctor)
  const seen1 = watch(v1)
  await vi.waitFor(() => expect(received[1]).toContain('state'))
  const v2 = tabs[2]!.crossTab.open(request, tabs[2]!.sockets.Ctor)
  watch(v2)
  await vi.waitFor(() => expect(received[2]).toContain('state'))
  void v0
  // Tab 0 goes (closed, crashed): tab 1 leads and makes its own socket.
  tabs[0]!.crash()
  await vi.waitFor(() => expect(tabs[1]!.sockets.made).toHaveLength(1))
  await vi.waitFor(() => expect(received[2]).toContain('leader'))
  const fresh = tabs[1]!.sockets.made[0]!
  // Tab 2's connect timeout (started when it joined, under tab 0) fires now: its connection closes its socket with 4000.
  v2.close(4000, 'connect timeout')
  await vi.waitFor(() => expect(received[1]).toContain('dead'))
  // Tab 1's socket was made after tab 2 last asked for one: nothing says it is dead. It opens.
  expect(fresh.closedWith).toBeUndefined()
  fresh.open()
  expect(seen1).toEqual({ opened: 1, closed: null })
})
