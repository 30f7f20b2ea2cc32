import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from './repo-root';

export interface OidcCounters {
  tokenCalls: number;
  tokenIssued: number;
  invalidGrant: number;
  grantsRevoked: number;
}

/** test/support/oidc-server.mjs (oidc-provider) in its own process, spoken to over IPC. */
export class OidcServer {
  static readonly clientId = 'payments-auth-fault-suite';
  static readonly clientSecret = 'oidc-client-secret-for-the-fault-suite';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly seedRefreshToken: string,
  ) {}

  static async start(tokenLifetimeSeconds: number, tokenLatencyMs: number): Promise<OidcServer> {
    const child = fork(path.join(REPO_ROOT, 'test', 'support', 'oidc-server.mjs'), [], {
      env: {
        PATH: process.env.PATH ?? '',
        CLIENT_ID: OidcServer.clientId,
        CLIENT_SECRET: OidcServer.clientSecret,
        TOKEN_LIFETIME_SECONDS: String(tokenLifetimeSeconds),
        TOKEN_LATENCY_MS: String(tokenLatencyMs),
      },
      execArgv: [],
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const ready = await OidcServer.reply(child, 'ready', () => undefined);
    return new OidcServer(child, ready.url as string, ready.seedRefreshToken as string);
  }

  /** The worker environment that points the library's Blnk adapter at this server. */
  workerEnv(): Record<string, string> {
    return {
      BLNK_URL: this.url,
      BLNK_CLIENT_ID: OidcServer.clientId,
      BLNK_CLIENT_SECRET: OidcServer.clientSecret,
      BLNK_SEED_REFRESH_TOKEN: this.seedRefreshToken,
    };
  }

  async counters(): Promise<OidcCounters & { pendingTokenClients: number[] }> {
    const reply = await OidcServer.reply(this.child, 'counters', () => this.child.send({ type: 'counters' }));
    return { ...(reply.counters as OidcCounters), pendingTokenClients: reply.pendingTokenClients as number[] };
  }

  async loseNextAnswer(): Promise<void> {
    await OidcServer.reply(this.child, 'lose-next-answer', () => this.child.send({ type: 'lose-next-answer' }));
  }

  /** The next token call hangs, never acted on, until its client goes away (a holder killed before the answer). */
  async holdNextCall(): Promise<void> {
    await OidcServer.reply(this.child, 'hold-next-call', () => this.child.send({ type: 'hold-next-call' }));
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }

  private static reply(child: ChildProcess, type: string, ask: () => void): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`oidc-server sent no '${type}' within 20 s`)), 20_000);
      const onMessage = (message: Record<string, unknown>) => message.type === type && done(undefined, message);
      const onExit = () => done(new Error('oidc-server exited'));
      const done = (error?: Error, message?: Record<string, unknown>) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (error) reject(error);
        else resolve(message as Record<string, unknown>);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      ask();
    });
  }
}
