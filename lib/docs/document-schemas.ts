import type { ValidatorOptions } from 'class-validator';
import type { SocketHandlerOptions } from '../interfaces/socket-action-options.interface.js';
import type { SocketReplyType } from '../interfaces/socket-reply-type.interface.js';
import type { RegisteredHandler } from '../registry/socket-api.registry.js';
import type { JsonSchema } from './asyncapi-document.js';

/** What the document says of a value whose type the handler does not declare. */
const UNDECLARED: JsonSchema = { description: 'Any JSON value: the handler declares no type for it.' };

/**
 * The schemas of one document: each handler's `data` (from its `@Data()` parameters) and its
 * declared reply or payload type, with the DTO classes they name collected for `components.schemas`.
 */
export class DocumentSchemas {
  constructor(private readonly validator: ValidatorOptions) {}

  /** The schema of the `data` a handler takes. */
  dataOf(handler: RegisteredHandler<SocketHandlerOptions>): JsonSchema {
    void this.validatorOf(handler);
    return {};
  }

  /** The schema of a reply's or publication's `data`, from the decorator's `reply` / `payload`. */
  valueOf(type: SocketReplyType | undefined, handler: RegisteredHandler<SocketHandlerOptions>): JsonSchema {
    if (type === undefined) return UNDECLARED;
    if (Array.isArray(type)) return { type: 'array', items: this.valueOf(type[0] as SocketReplyType, handler) };
    if (type === Number) return { type: 'number' };
    if (type === String) return { type: 'string' };
    if (type === Boolean) return { type: 'boolean' };
    return { type: 'object' };
  }

  get components(): Record<string, JsonSchema> {
    return {};
  }

  /** The class-validator options a handler's DTOs are validated with: the module's, then the handler's own. */
  private validatorOf(handler: RegisteredHandler<SocketHandlerOptions>): ValidatorOptions {
    return { ...this.validator, ...handler.options.validation };
  }
}
