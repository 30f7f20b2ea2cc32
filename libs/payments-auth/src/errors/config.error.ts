import { PaymentsAuthError } from './payments-auth.error.js';

export interface ConfigIssue {
  /** Dotted path of the bad field, e.g. `tenants.acme.blink.apiKey`. */
  path: string;
  /** What is wrong with it; never the value itself, which may be a secret. */
  problem: string;
}

/** Bad module or tenant configuration. Lists every bad field by path, never a value. */
export class PaymentsAuthConfigError extends PaymentsAuthError {
  readonly code = 'PAYMENTS_AUTH_CONFIG';

  constructor(
    readonly issues: readonly ConfigIssue[],
    tenant?: string,
  ) {
    super(
      `Invalid payments-auth configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  - ${issue.path}: ${issue.problem}`).join('\n'),
      { tenant },
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}
