import { createHash } from 'node:crypto';
import type { ContractSchemas } from './contract-schemas.js';

/**
 * The contract's hash: SHA-256 (hex) of the canonical JSON of the handlers' schemas (object keys
 * sorted at every level, so that neither the order handlers were found in nor the order a schema's
 * keywords were written changes it). The same app gives the same hash in every process; any change
 * to a name, a schema or its annotations gives another.
 */
export function contractHash(schemas: ContractSchemas): string {
  return createHash('sha256').update(canonicalJson(schemas)).digest('hex');
}

/** JSON with every object's keys in code-point order. Schemas hold only JSON values (no cycles: `$ref`s are strings). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
