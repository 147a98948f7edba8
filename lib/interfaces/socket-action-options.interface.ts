import type { ValidatorOptions } from 'class-validator';
import type { OutputValidationMode, SocketReplyType, SocketReplyValue } from './socket-reply-type.interface.js';

/** What `@SocketAction()` and `@SocketChannel()` both take: validation, and what the generated docs say. */
export interface SocketHandlerOptions {
  /**
   * class-validator options for this handler's DTOs, merged over the module's `validation.validator`.
   * @default {} (the module's alone)
   */
  validation?: ValidatorOptions;
  /**
   * What is sent for the handler's declared `reply` (an action) or `payload` (a channel): validated
   * and projected to its DTO's declared properties (`'error'`, `'warn'`), or sent as returned
   * (`'off'`). See `OutputValidationMode`. A handler that sets it must declare `reply` / `payload`.
   * @default the module's `outputValidation` ('off')
   */
  outputValidation?: OutputValidationMode;
  /**
   * Strict input for this handler's `data`, over the module's `validation.strictInput`: `true` refuses
   * keys its DTOs do not declare, at any depth; `false` keeps them.
   * @default undefined (the module's `validation.strictInput`)
   */
  strictInput?: boolean;
  /**
   * One line on what the handler does (the document's `summary`).
   * @default undefined
   */
  summary?: string;
  /**
   * What the handler does, in CommonMark (the document's `description`).
   * @default undefined
   */
  description?: string;
  /**
   * Tags that group handlers in the docs page (the document's `tags`).
   * @default [] (the page lists the handler under "default")
   */
  tags?: string[];
  /**
   * Marks the handler as deprecated in the docs (`x-deprecated: true`); it still runs.
   * @default false
   */
  deprecated?: boolean;
}

/**
 * An example of an action, shown in the docs as whole frames: the request and its reply (typed as
 * the action's `reply` when it declares one).
 */
export interface SocketActionExample<Reply = unknown> {
  /** A machine-friendly name (letters, digits, `_`). */
  name?: string;
  /** What the example shows. */
  summary?: string;
  /** The request's `data`. */
  data?: unknown;
  /** The reply's `data`. */
  reply?: Reply;
}

export interface SocketActionOptions extends SocketHandlerOptions {
  /**
   * Examples of requests and replies, shown in the docs (the first one prefills the page's editor).
   * @default []
   */
  examples?: SocketActionExample[];
}

/** `@SocketAction()`'s options with a declared reply type: the compiler holds the method and the examples to it. */
export interface SocketActionReplyOptions<Reply extends SocketReplyType = SocketReplyType> extends SocketActionOptions {
  /**
   * What the action returns (its reply's `data`), documented with the DTO's schema: a DTO class,
   * `Number`, `String`, `Boolean`, or `[Type]` for an array. The compiler then refuses a method whose
   * return type (or what its Promise or Observable gives) does not fit, and examples whose `reply`
   * does not.
   * @default undefined (the reply is documented as any JSON value, and the method may return anything)
   */
  reply: Reply;
  examples?: SocketActionExample<SocketReplyValue<Reply>>[];
}
