/**
 * The shape of a server's API as the client sees it: what each action takes and replies, what each
 * channel takes to subscribe and publishes. The contract generated from the server's handlers (issue
 * 11, next step) has this shape; without one, names are any string and values `unknown`.
 */
export interface SocketApiContract {
  actions: Record<string, { data: unknown; reply: unknown }>;
  channels: Record<string, { data: unknown; payload: unknown }>;
}

/** The contract of a client given none: every name allowed, every value `unknown`. */
export interface UntypedContract extends SocketApiContract {
  actions: Record<string, { data: unknown; reply: unknown }>;
  channels: Record<string, { data: unknown; payload: unknown }>;
}

export type ActionName<C extends SocketApiContract> = keyof C['actions'] & string;
export type ChannelName<C extends SocketApiContract> = keyof C['channels'] & string;
export type ActionData<C extends SocketApiContract, N extends ActionName<C>> = C['actions'][N]['data'];
export type ActionReply<C extends SocketApiContract, N extends ActionName<C>> = C['actions'][N]['reply'];
export type ChannelData<C extends SocketApiContract, N extends ChannelName<C>> = C['channels'][N]['data'];
export type ChannelPayload<C extends SocketApiContract, N extends ChannelName<C>> = C['channels'][N]['payload'];
