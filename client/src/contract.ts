import type { ActionOptions } from './options.js';

/**
 * The shape of a server's API as the client sees it: what each action takes and replies, what each
 * channel takes to subscribe and publishes. The contract generated from the server's handlers
 * (`nestjs-socketapi-contract`) has this shape; without one, names are any string and values `unknown`.
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
/**
 * `action`'s arguments after the name: `data` may be left out only when the action's data admits
 * `undefined` (no DTO, or an untyped client), so that a call missing its DTO fails to compile.
 */
export type ActionArguments<C extends SocketApiContract, N extends ActionName<C>> =
  undefined extends ActionData<C, N>
    ? [data?: ActionData<C, N>, options?: ActionOptions]
    : [data: ActionData<C, N>, options?: ActionOptions];
export type ChannelData<C extends SocketApiContract, N extends ChannelName<C>> = C['channels'][N]['data'];
export type ChannelPayload<C extends SocketApiContract, N extends ChannelName<C>> = C['channels'][N]['payload'];
