/** cluster-key-slot (ioredis's own dependency) ships no types: the one function the store uses. */
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of a key, hash tags included. */
  export default function calculateSlot(key: string): number;
}
