import type { ResumeParam } from './options'

/**
 * The highest `seq` so far. Only by a count a server can be asked for again: one message with
 * `"seq":1e17` must not make every resume fail.
 */
const highestSeq = (position: number, { seq }: Record<string, unknown>): number => (Number.isSafeInteger(seq) && (seq as number) > position ? (seq as number) : position)

/**
 * Resume by `seq`, for `SocketHub`'s `resumeParam` option (or one endpoint's): a reconnect sends
 * the highest `seq` of a message a subscriber took as `?<param>=<seq>` (the reference server
 * replays what came after it for `since`). A hub resumes only when given one, so that an app that
 * does not bundles none of it; `LiveStatusClient` takes the parameter's name (`resumeParam: 'since'`).
 *
 * @example
 * ```ts
 * new SocketHub({ token, resumeParam: resumeBySeq('since') })
 * ```
 */
export const resumeBySeq = (param: string): ResumeParam => ({ param, next: highestSeq })
