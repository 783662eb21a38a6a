/** A REST answer that was not 2xx. The URL never carries the token (it travels in a header). */
export class LiveStatusHttpError extends Error {
  declare readonly status: number
  declare readonly url: string
  /** The server said the token is not (or no longer) good. */
  declare readonly isAuthError: boolean

  constructor(status: number, url: string, isAuthError: boolean, detail?: string) {
    super(`[live-status] ${isAuthError ? 'Not signed in or not allowed' : 'Request failed'}: ${status} from ${url}${detail ? ` (${detail})` : ''}`)
    // `name` last: its own keys keep their order (status, url, isAuthError, name).
    this.status = status
    this.url = url
    this.isAuthError = isAuthError
    this.name = 'LiveStatusHttpError'
  }
}

/** 4xx answers do not get better by retrying. */
export function isClientError(error: unknown): boolean {
  return error instanceof LiveStatusHttpError && error.status >= 400 && error.status < 500
}

/** An answer whose status is in `authErrorStatuses` (default 401): the token was refused; signing in again helps, retrying does not. */
export function isAuthError(error: unknown): boolean {
  return error instanceof LiveStatusHttpError && error.isAuthError
}
