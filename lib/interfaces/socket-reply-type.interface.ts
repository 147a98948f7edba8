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
