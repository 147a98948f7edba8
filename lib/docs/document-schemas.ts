import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import { describeTarget } from '../handlers/handler-target.js';
import type { SocketHandlerOptions } from '../interfaces/socket-action-options.interface.js';
import type { SocketReplyType } from '../interfaces/socket-reply-type.interface.js';
import type { RegisteredHandler } from '../registry/socket-api.registry.js';
import { DtoSchemas } from '../schema/dto-schemas.js';
import type { JsonSchema } from '../schema/json-schema.js';

/** What the document says of a value whose type the handler does not declare. */
const UNDECLARED: JsonSchema = { description: 'Any JSON value: the handler declares no type for it.' };

/**
 * The schemas of one document: each handler's `data` (from its `@Data()` parameters, read with the
 * validator options the server validates it with) and its declared reply or payload type, with the
 * DTO classes they name collected for `components.schemas`.
 */
export class DocumentSchemas {
  private readonly dtos: DtoSchemas;

  constructor(
    private readonly validator: ValidatorOptions,
    private readonly transformer: ClassTransformOptions,
    /** The module's `validation.strictInput`: a handler's `strictInput` overrides it. */
    private readonly strictInput = false,
  ) {
    this.dtos = new DtoSchemas(validator, transformer);
  }

  /** For `components.schemas`: every DTO class referred to so far. */
  get components(): Record<string, JsonSchema> {
    return this.dtos.components;
  }

  /**
   * The schema of the `data` a handler takes, and whether the frame must carry `data` (the server
   * reads a missing `data` as `{}`: a frame without it is refused exactly when `{}` is).
   */
  dataOf(handler: RegisteredHandler<SocketHandlerOptions>): { schema: JsonSchema; required: boolean } {
    const dtos = this.dtosOf(handler, handler.options.strictInput ?? this.strictInput);
    const { params } = handler.binder;
    return { schema: dtos.dataSchema(params, describeTarget(handler.target)), required: dtos.dataRequired(params) };
  }

  /**
   * The schema of a reply's or publication's `data`, from the decorator's `reply` / `payload`. A DTO
   * is documented by its validation rules: what the server checks of what it receives, and what the
   * method's return type promises (the compiler holds the method to it), not what class-transformer's
   * `@Exclude()`/`@Expose()` may then leave out of the frame.
   */
  valueOf(type: SocketReplyType | undefined, handler: RegisteredHandler<SocketHandlerOptions>): JsonSchema {
    if (type === undefined) return UNDECLARED;
    if (Array.isArray(type)) return { type: 'array', items: this.valueOf(type[0] as SocketReplyType, handler) };
    if (type === Number) return { type: 'number' };
    if (type === String) return { type: 'string' };
    if (type === Boolean) return { type: 'boolean' };
    return this.dtosOf(handler).refTo(type as Exclude<SocketReplyType, readonly unknown[]>);
  }

  /**
   * The module's validator options, or a view with the handler's own `validation` merged over them;
   * `strictInput` (of `data` only: replies are not input) closes its DTOs.
   */
  private dtosOf(handler: RegisteredHandler<SocketHandlerOptions>, strictInput = false): DtoSchemas {
    const own = handler.options.validation;
    if (!own && !strictInput) return this.dtos;
    return this.dtos.withOptions({ ...this.validator, ...own }, this.transformer, strictInput);
  }
}
