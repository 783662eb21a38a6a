import type { MutationOptions, QueryClient } from '@tanstack/query-core'

/**
 * Options a TanStack mutation takes (`useMutation`, `queryClient.getMutationCache().build`), with the
 * key always set. The context argument is the one newer TanStack v5 versions pass; older ones pass none,
 * and the factories then write optimistic rows only when given a `queryClient`.
 */
export type LiveMutationOptions<TData, TVariables, TContext> = Required<Pick<MutationOptions<TData, Error, TVariables, TContext>, 'mutationKey' | 'mutationFn'>> &
  Pick<MutationOptions<TData, Error, TVariables, TContext>, 'onMutate' | 'onError' | 'onSuccess'>

/** What the command factories take besides their parameters. */
export interface CommandOptions {
  /**
   * The QueryClient the optimistic rows go into. Newer TanStack v5 versions hand it to the mutation itself;
   * the hooks pass the provider's.
   * @default the mutation context's `client`
   */
  queryClient?: QueryClient
}

/** The part of TanStack's mutation context the factories read; older versions pass nothing. */
export type MutationContext = { client?: QueryClient } | undefined

/** Where optimistic rows go: the QueryClient given, else the one the mutation runs in, else none. */
export const clientOf = (options: CommandOptions, context: MutationContext): QueryClient | undefined => options.queryClient ?? context?.client

