import { readFileSync } from 'node:fs';
import { CloseReason, ErrorMessage, HandshakeRefusal } from '../../lib/protocol/socket-api.messages.js';

const constants = (messages: object): string[] =>
  Object.values(messages).filter((message): message is string => typeof message === 'string');

/** The rows of PROTOCOL.md's tables whose header is `header`, as arrays of cells. */
function tableRows(markdown: string, header: string): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of markdown.split('\n')) {
    // Prettier pads the cells of a table to one width: compare with runs of spaces as one.
    if (line.replace(/ +/g, ' ').startsWith(header)) inTable = true;
    else if (!line.startsWith('|')) inTable = false;
    else if (inTable && !/^\|[\s:|-]+$/.test(line))
      rows.push(
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
  }
  return rows;
}

const firstCode = (cell: string): string | undefined => /`([^`]+)`/.exec(cell)?.[1];

describe("PROTOCOL.md's texts all come from lib/protocol/socket-api.messages.ts", () => {
  const protocol = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8');

  it('every error message of the error tables', () => {
    const ours = [
      ...constants(ErrorMessage),
      ErrorMessage.unknownType('<type>'),
      ErrorMessage.actionNotFound('<name>'),
      ErrorMessage.channelNotFound('<name>'),
      ErrorMessage.invalidParameters('action', '<name>'),
      ErrorMessage.invalidParameters('channel', '<name>'),
      ErrorMessage.nestedTooDeeply(32),
      ErrorMessage.presenceDisabled('<name>'),
      ErrorMessage.notSubscribed('<name>'),
    ];
    const documented = tableRows(protocol, '| situation | code | message |')
      .map(([, , message]) => firstCode(message))
      // Nest's ForbiddenException's own message, not the library's.
      .filter((message): message is string => message !== undefined && message !== 'Forbidden resource');
    expect(documented.length).toBeGreaterThanOrEqual(20);
    for (const message of documented) expect(ours).toContain(message);
  });

  it('every close reason, and the reasons of refused handshakes', () => {
    const reasons = tableRows(protocol, '| code | reason | when |')
      .map(([, reason]) => firstCode(reason))
      .filter((reason): reason is string => reason !== undefined);
    expect(reasons).toHaveLength(7);
    for (const reason of reasons) expect(constants(CloseReason)).toContain(reason);
    expect(constants(HandshakeRefusal)).toEqual(
      expect.arrayContaining(['Server shutting down', 'Handshake timed out', 'Too many connections for this user']),
    );
  });
});
