// `nestjs-payments-auth/redis`: the Redis store, for apps that run several instances (ioredis is an optional peer).
export {
  RedisTokenStore,
  type RedisTokenStoreOptions,
  type WaitForReplicasOptions,
} from './stores/redis/redis.store.js';
