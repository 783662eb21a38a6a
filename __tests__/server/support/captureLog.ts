/** One line the server logged. */
export type Line = { level: string; fields: Record<string, unknown>; message: string }

/** A `ServerLogger` that keeps every line it is given, in `lines`. */
export function capture() {
  const lines: Line[] = []
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message })
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } }
}
