import { ChannelPattern, MAX_PARAM_LENGTH } from '../channels/channel-pattern.js';
import type { JsonSchema } from './asyncapi-document.js';

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
  const compiled = ChannelPattern.compile(name);
  const params = [...compiled.params];
  // A name with `{` or `}` cannot be an address (they delimit its parameters).
  const addressable = !/[{}]/.test(name);
  if (!compiled.isPattern) {
    return { address: addressable ? name : null, params, schema: { type: 'string', const: name } };
  }
  const address = compiled.render(
    (text) => text,
    (param) => `{${param}}`,
  );
  const pattern = compiled.render(
    (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    () => `[^/]{1,${MAX_PARAM_LENGTH}}`,
  );
  return {
    address: addressable ? address : null,
    params,
    schema: { type: 'string', pattern: `^${pattern}$`, description: `A channel of the pattern \`${name}\`.` },
  };
}
