import { ValidationError, validateSync } from 'class-validator';
import type { ConfigIssue } from '../errors/config.error.js';

type SchemaClass = new () => object;

/**
 * Validates a plain object against a class-validator schema and returns each problem by dotted path.
 * `value: false` keeps rejected values (possibly secrets) out of the ValidationError objects themselves.
 */
export function collectIssues(schema: SchemaClass, plain: unknown, path: string): ConfigIssue[] {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return [{ path, problem: 'must be an object' }];
  }
  // Object.assign rather than class-transformer: values such as a TokenStore instance must keep their prototype.
  const instance = Object.assign(new schema(), plain);
  const errors = validateSync(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    validationError: { target: false, value: false },
  });
  return errors.flatMap((error) => toIssues(error, path));
}

function toIssues(error: ValidationError, parentPath: string): ConfigIssue[] {
  const path = `${parentPath}.${error.property}`;
  const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
    path,
    problem: constraint === 'whitelistValidation' ? 'is not a known option' : message,
  }));
  return [...own, ...(error.children ?? []).flatMap((child) => toIssues(child, path))];
}
