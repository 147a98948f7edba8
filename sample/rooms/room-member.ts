import type { SocketConnection } from '../../lib/index.js';

/** The longest display name shown to a room; a longer one is cut. */
export const DISPLAY_NAME_MAX_LENGTH = 32;

/** What the other members of a room see of a member besides its clientId: the name it chose, if any. */
export interface RoomMemberInfo {
  name: string;
}

/**
 * A room's presence `info`: the display name the connection gave in its URL (`ws://…/?name=ada`, the
 * page passes its own query on), trimmed and cut to 32 characters; nothing when it gave none. The sample
 * authenticates nobody, so the name is whatever the client says, and the only thing exposed: not the
 * query's other keys (`role`), the headers or the address. With an authenticator, the user's name from
 * `connection.user` would go here instead.
 */
export function roomMemberInfo(connection: SocketConnection): RoomMemberInfo | undefined {
  const { name } = connection.query;
  if (typeof name !== 'string') return undefined;
  const shown = name.trim().slice(0, DISPLAY_NAME_MAX_LENGTH);
  return shown === '' ? undefined : { name: shown };
}
