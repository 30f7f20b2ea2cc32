// `nestjs-payments-auth/postgres`: the PostgreSQL store, for apps that run several instances (pg is an optional peer).
export {
  PostgresTokenStore,
  postgresMigrationSql,
  type PostgresConnection,
  type PostgresTokenStoreOptions,
} from './stores/postgres/postgres.store.js';
