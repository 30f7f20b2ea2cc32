import type { QueryResult } from 'pg';
import {
  type Protection,
  type ResealOutcome,
  MAX_RESEAL_ATTEMPTS,
  auditOf,
  cipherForReseal,
  protectionOfPayload,
  resealDecision,
  resealGaveUp,
  resealReportOf,
} from '../record-protection.js';
import { openStoredPayload } from '../sealed-record.js';
import type { TokenCipher } from '../token-cipher.js';
import type { ResealReport, StoreAudit } from '../token-store.interface.js';
import type { PostgresStatements } from './postgres-statements.js';

/** What the walk needs of the PostgresTokenStore. */
export interface PostgresWalkAccess {
  sql: PostgresStatements;
  cipher?: TokenCipher;
  /** Runs one statement within the store's deadline. */
  query(text: string, values: unknown[]): Promise<QueryResult>;
}

/** Records read per statement: small enough to keep each well within the statement deadline. */
const PAGE = 500;

interface Row {
  key: string;
  version: string;
  payload: string;
}

/** keys(), audit() and reseal() of the PostgresTokenStore: pages of records in key order, one guarded write each. */
export class PostgresRecordWalk {
  constructor(private readonly access: PostgresWalkAccess) {}

  async keys(prefix: string): Promise<string[]> {
    const { rows } = await this.access.query(this.access.sql.keys, [prefix]);
    return (rows as Array<{ key: string }>).map((row) => row.key);
  }

  async audit(): Promise<StoreAudit> {
    const protections: Protection[] = [];
    for await (const row of this.rows()) protections.push(protectionOfPayload(this.access.cipher, row.payload));
    return auditOf(protections);
  }

  async reseal(): Promise<ResealReport> {
    const cipher = cipherForReseal(this.access.cipher);
    const outcomes: ResealOutcome[] = [];
    for await (const row of this.rows()) outcomes.push(await this.resealRecord(cipher, row));
    return resealReportOf(outcomes);
  }

  /** Reseals the row and writes it only over the payload read; a row written meanwhile is read and judged again. */
  private async resealRecord(cipher: TokenCipher, first: Row): Promise<ResealOutcome> {
    let row: Row | undefined = first;
    for (let attempt = 0; attempt < MAX_RESEAL_ATTEMPTS; attempt += 1) {
      if (row === undefined) return 'gone';
      const { key, version, payload }: Row = row;
      const decision = resealDecision(cipher, key, protectionOfPayload(this.access.cipher, payload), () =>
        openStoredPayload(cipher, payload, key, Number(version)),
      );
      if (decision.sealed === undefined) return decision.outcome;
      const { rowCount } = await this.access.query(this.access.sql.reseal, [key, payload, decision.sealed]);
      if (rowCount === 1) return decision.outcome;
      const { rows } = await this.access.query(this.access.sql.get, [key]);
      row = rows.length === 0 ? undefined : { key, ...(rows[0] as Omit<Row, 'key'>) };
    }
    throw resealGaveUp();
  }

  private async *rows(): AsyncGenerator<Row> {
    let after = '';
    for (;;) {
      const { rows } = await this.access.query(this.access.sql.page, [after, PAGE]);
      const page = rows as Row[];
      yield* page;
      if (page.length < PAGE) return;
      after = page[page.length - 1].key;
    }
  }
}
