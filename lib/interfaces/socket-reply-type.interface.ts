import type { Type } from '@nestjs/common';

/**
 * What a handler declares that it returns (an action's `reply`, a channel's `payload`): a DTO class,
 * `Number`, `String` or `Boolean`, or a one-element list of one of these for an array of it
 * (`[UserDto]`, `[[Number]]`).
 */
export type SocketReplyType =
  Type<object> | NumberConstructor | StringConstructor | BooleanConstructor | readonly [SocketReplyType];

/** The values a {@link SocketReplyType} stands for: `UserDto` → a `UserDto`, `[Number]` → a (readonly or not) `number[]`. */
export type SocketReplyValue<T> = T extends NumberConstructor
  ? number
  : T extends StringConstructor
    ? string
    : T extends BooleanConstructor
      ? boolean
      : T extends readonly [infer Item]
        ? ReadonlyArray<SocketReplyValue<Item>>
        : T extends Type<infer Instance>
          ? Instance
          : never;

/**
 * What the server does with a value it sends for a declared `reply` or `payload` type (an action's
 * reply, a channel's publications and initial data):
 * - `'error'`: sends the value projected to the type (only the properties the DTO declares, at every
 *   depth); a value that breaks the DTO's rules is not sent: the client gets `INTERNAL_ERROR` (a
 *   publication throws in the publisher's stack) and the log says which rules, never the value;
 * - `'warn'`: sends the projection, and logs (rate-limited) the rules the value breaks;
 * - `'off'`: sends the value as the handler gave it (through class-transformer for class instances).
 */
export type OutputValidationMode = 'error' | 'warn' | 'off';
