/** What a load run saw: how many requests were sent and why each failed one failed. */
export interface LoadResult {
  requests: number;
  failures: string[];
}

export interface ConstantLoad {
  /** Stops sending and waits for the requests under way. */
  stop(): Promise<LoadResult>;
}

const describeFailure = (error: unknown): string =>
  error instanceof Error
    ? `${error.constructor.name}: ${(error as { code?: string }).code ?? error.message}`
    : String(error);

/**
 * `workers` loops each sending one request after another (with a short pause, to leave the event loop to the
 * app under test) until stopped, and at most `maxRequests` in all: every loop is bounded.
 */
export function constantLoad(
  send: () => Promise<unknown>,
  workers = 4,
  maxRequests = 20_000,
  pauseMs = 5,
): ConstantLoad {
  const result: LoadResult = { requests: 0, failures: [] };
  let stopped = false;
  const loop = async (): Promise<void> => {
    while (!stopped && result.requests < maxRequests) {
      result.requests += 1;
      await send().catch((error: unknown) => result.failures.push(describeFailure(error)));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  const running = Promise.all(Array.from({ length: workers }, loop));
  return {
    stop: async () => {
      stopped = true;
      await running;
      return result;
    },
  };
}
