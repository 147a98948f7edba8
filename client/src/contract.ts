import type { ActionOptions } from './options.js';

/**
 * The shape of a server's API as the client sees it: what each action takes and replies, what each
 * channel takes to subscribe and publishes. The contract generated from the server's handlers
 * (`nestjs-socketapi-contract`) has this shape; without one, names are any string and values `unknown`.
 */
export interface SocketApiContract {
  actions: Record<string, { data: unknown; reply: unknown }>;
  channels: Record<string, ChannelContract>;
}

/**
 * One channel of a contract, by its declared name: an exact name (`chat`) or a pattern
 * (`rooms/:roomId`, subscribed to as `rooms/42`).
 */
export interface ChannelContract {
  data: unknown;
  payload: unknown;
  /** A pattern's parameters (`{ roomId: string }`); `{}` for an exact name. */
  params?: Record<string, string>;
  /** Whether its publications carry offsets and a resubscribe recovers (`recovery$`). */
  history?: boolean;
  /** `false`, or what `presence()` and `presenceEvents()` give as each member's `info`. */
  presence?: false | { info: unknown };
}

/** The contract of a client given none: every name allowed, every value `unknown`. */
export interface UntypedContract extends SocketApiContract {
  actions: Record<string, { data: unknown; reply: unknown }>;
  channels: Record<string, ChannelContract>;
}

/**
 * The names a declared channel name stands for: itself for an exact name; for a pattern, each `:param`
 * segment any string (`rooms/:roomId` → `` `rooms/${string}` ``). A type cannot say "without a `/`":
 * `rooms/4/2` compiles, and the server answers `CHANNEL_NOT_FOUND`.
 */
export type ConcreteName<P extends string> = P extends `:${string}/${infer Rest}`
  ? `${string}/${ConcreteName<Rest>}`
  : P extends `:${string}`
    ? string
    : P extends `${infer Segment}/${infer Rest}`
      ? `${Segment}/${ConcreteName<Rest>}`
      : P;

type DeclaredName<C extends SocketApiContract> = keyof C['channels'] & string;

export type ActionName<C extends SocketApiContract> = keyof C['actions'] & string;
/** The names `subscribe()` takes: exact names, and concrete names of patterns (`rooms/42`). */
export type ChannelName<C extends SocketApiContract> = {
  [K in DeclaredName<C>]: ConcreteName<K>;
}[DeclaredName<C>];
/**
 * The declared name(s) a concrete name belongs to (`rooms/42` → `rooms/:roomId`). An exact name that
 * a pattern also matches gives both: its data and payload are then the union of theirs.
 */
export type ChannelKey<C extends SocketApiContract, N extends string> = {
  [K in DeclaredName<C>]: N extends ConcreteName<K> ? K : never;
}[DeclaredName<C>];
/**
 * The names `presence()` and `presenceEvents()` take: those of channels declared with presence (any
 * name for a client without a contract).
 */
export type PresenceChannelName<C extends SocketApiContract> =
  string extends DeclaredName<C>
    ? string
    : {
        [K in DeclaredName<C>]: C['channels'][K] extends { presence: { info: unknown } } ? ConcreteName<K> : never;
      }[DeclaredName<C>];

type ChannelEntry<C extends SocketApiContract, N extends string> = C['channels'][ChannelKey<C, N>];

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
export type ChannelData<C extends SocketApiContract, N extends ChannelName<C>> = ChannelEntry<C, N>['data'];
export type ChannelPayload<C extends SocketApiContract, N extends ChannelName<C>> = ChannelEntry<C, N>['payload'];
/** The `info` of a presence channel's members. */
export type PresenceInfo<C extends SocketApiContract, N extends string> = {
  [K in DeclaredName<C>]: N extends ConcreteName<K> ? InfoOf<C['channels'][K]['presence']> : never;
}[DeclaredName<C>];

type InfoOf<Presence> = Exclude<Presence, false | undefined> extends { info: infer Info } ? Info : unknown;
