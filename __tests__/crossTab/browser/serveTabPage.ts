import { servePage, type ServedPage } from '../../helpers/servePage'

/**
 * The cross-tab tab page (tabPage.ts) and a `ws` server at `/ws` on one loopback origin, for the
 * Chromium test, the bench and the hidden-leader measurement.
 */
export const serveTabPage = (): Promise<ServedPage> => servePage({ entry: '__tests__/crossTab/browser/tabPage.ts', title: 'tab', wsPath: '/ws' })
