/** Appends query parameters, skipping `undefined` values. */
export function withQuery(url: string, query: Record<string, string | undefined> | undefined): string {
  if (!query) return url
  const pairs = Object.entries(query).filter((entry): entry is [string, string] => entry[1] !== undefined)
  if (pairs.length === 0) return url
  const search = pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&')
  return `${url}${url.includes('?') ? '&' : '?'}${search}`
}
