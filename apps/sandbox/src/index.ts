// The sandbox lives in the package (`nestjs-payments-auth/testing`); this app is its runner (main.ts), and the
// repository's own tests reach it under the `@app/sandbox` path with the fixed fixtures the demo prints.
export * from '../../../libs/payments-auth/src/testing/sandbox/index.js';
