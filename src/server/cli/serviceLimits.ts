// Apart from the service, so `--help` quotes them without loading the server (and `ws`).

/** Shortest LIVE_STATUS_JWT_SECRET accepted: an HS256 key shorter than its hash is guessable. */
export const MIN_JWT_SECRET_CHARS = 32
/** Largest body of `POST /api/projects/{id}/events`. */
export const MAX_PUBLISH_BODY_BYTES = 256 * 1024
