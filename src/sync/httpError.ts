/** A REST answer that was not 2xx. The URL never carries the token (it travels in a header). */
export class LiveStatusHttpError extends Error {
  readonly status: number
  readonly url: string
  /** The server said the token is not (or no longer) good. */
  readonly isAuthError: boolean

  constructor(status: number, url: string, isAuthError: boolean, detail?: string) {
    super(`[live-status] ${isAuthError ? 'Not signed in or not allowed' : 'Request failed'}: ${status} from ${url}${detail ? ` (${detail})` : ''}`)
    this.name = 'LiveStatusHttpError'
    this.status = status
    this.url = url
    this.isAuthError = isAuthError
  }
}

/** 4xx answers do not get better by retrying. */
export function isClientError(error: unknown): boolean {
  return error instanceof LiveStatusHttpError && error.status >= 400 && error.status < 500
}

export function isAuthError(error: unknown): boolean {
  return error instanceof LiveStatusHttpError && error.isAuthError
}
