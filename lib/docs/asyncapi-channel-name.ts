import type { JsonSchema } from './asyncapi-document.js';

/** A `:param` segment of a declared channel name (`rooms/:roomId`): the parameter's name. */
const PARAM_SEGMENT = /^:([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * How the document writes a declared channel name: an exact name as it is; a pattern
 * (`rooms/:roomId`, PROTOCOL.md "Channel patterns") as an AsyncAPI 3 address with parameters
 * (`rooms/{roomId}`), and frames whose `channel` is any concrete name of it (one non-empty segment,
 * without `/`, per parameter).
 */
export interface DocumentedChannelName {
  /** The channel's address; `null` for a name with `{`/`}`, which an address cannot state. */
  address: string | null;
  /** The pattern's parameters, in order (empty for an exact name). */
  params: string[];
  /** The schema of the frames' `channel` field. */
  schema: JsonSchema;
}

export function documentedChannelName(name: string): DocumentedChannelName {
  const segments = name.split('/');
  const params = segments.flatMap((segment) => PARAM_SEGMENT.exec(segment)?.[1] ?? []);
  if (params.length === 0) {
    return { address: /[{}]/.test(name) ? null : name, params, schema: { type: 'string', const: name } };
  }
  const address = segments.map((segment) => segment.replace(PARAM_SEGMENT, '{$1}')).join('/');
  const pattern = segments
    .map((segment) => (PARAM_SEGMENT.test(segment) ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return {
    address: /[{}]/.test(name) ? null : address,
    params,
    schema: { type: 'string', pattern: `^${pattern}$`, description: `A channel of the pattern \`${name}\`.` },
  };
}
