/**
 * Sign-in per tab, as in an app where each tab holds its session's token: the token lives in
 * sessionStorage (kept across reloads of this tab, not shared with other tabs), and a fresh one
 * comes from the demo server's sign-in route. Revoking it ("reject the token") affects this tab only.
 */
import { demoFetch } from './cluster'

const KEY = 'live-status-demo:token'

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export async function signIn(): Promise<string> {
  const response = await demoFetch('/api/demo/login', { method: 'POST' })
  if (!response.ok) throw new Error(`sign-in failed (HTTP ${response.status})`)
  const { token } = (await response.json()) as { token: string }
  try {
    sessionStorage.setItem(KEY, token)
  } catch {
    // Storage disabled: the tab still works, a reload signs in again.
  }
  return token
}

/** Demo routes that act for this tab send its token. */
export function authHeaders(token: string | null): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {}
}

let first: Promise<string> | null = null

/** This tab's token: the stored one, or one sign-in shared by every caller (StrictMode mounts twice). */
export function tabToken(): Promise<string> {
  const stored = storedToken()
  if (stored) return Promise.resolve(stored)
  first ??= signIn()
  return first
}
