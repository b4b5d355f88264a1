import { fileError } from '../errors';

/** Typed reads of config.json fields, each failing with a message that names the file and field. */
export class ConfigFields {
  constructor(
    readonly file: string,
    readonly raw: Record<string, unknown>,
  ) {}

  positiveInt(field: string, fallback?: number): number {
    const value = this.raw[field] ?? fallback;
    if (!Number.isSafeInteger(value) || (value as number) <= 0) {
      throw fileError(this.file, `${field} must be a positive integer, got ${JSON.stringify(this.raw[field])}`);
    }
    return value as number;
  }

  positiveNumber(field: string, fallback: number): number {
    const value = this.raw[field] ?? fallback;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
      throw fileError(this.file, `${field} must be a positive number, got ${JSON.stringify(this.raw[field])}`);
    }
    return value;
  }

  boolean(field: string, fallback: boolean): boolean {
    const value = this.raw[field] ?? fallback;
    if (typeof value !== 'boolean') throw fileError(this.file, `${field} must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  oneOf<T extends string>(field: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw[field] ?? fallback;
    if (typeof value !== 'string' || !allowed.includes(value as T)) {
      throw fileError(this.file, `${field} ${JSON.stringify(value)} is not supported (supported: ${allowed.join(', ')})`);
    }
    return value as T;
  }

  /** A token id field; HF configs sometimes hold a list (several EOS ids): the first is used. */
  optionalTokenId(field: string): number | undefined {
    let value = this.raw[field];
    if (Array.isArray(value)) value = value[0];
    if (value === undefined || value === null) return undefined;
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      throw fileError(this.file, `${field} must be a token id, got ${JSON.stringify(this.raw[field])}`);
    }
    return value as number;
  }
}
