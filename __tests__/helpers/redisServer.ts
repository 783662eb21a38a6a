export { REDIS_SERVER, haveRedis, requireRedisInCi, startRedis } from '../../scripts/redisServer'
