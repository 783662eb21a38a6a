export { freePort } from '../../scripts/freePort'
