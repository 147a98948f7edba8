import type { Type } from '@nestjs/common';
import type { ClassTransformOptions } from 'class-transformer';
import type { ValidatorOptions } from 'class-validator';
import { ChannelPattern, NO_PARAMS } from '../channels/channel-pattern.js';
import { readParams, type ParamMetadata, type ParamPipe } from '../decorators/param-metadata.js';
import type { SocketConnection } from '../connection/socket-connection.js';
import type { ChannelParams } from '../interfaces/channel-stream.interface.js';
import { SocketApiValidationException, type FieldError } from '../protocol/errors.js';
import { ErrorMessage } from '../protocol/socket-api.messages.js';
import { CHANNEL_PARAM, CONNECTION_PARAM, DATA_PARAM } from '../socket-api.constants.js';
import { dtoReader, hasValidationRules, type StrictInput } from '../validation/dto-reader.js';
import { readAny, readArray, readBoolean, readNumber, readString } from '../validation/primitive-readers.js';
import { compileUnknownDataKeys, declaredKeys, type UnknownKeysCheck } from '../validation/unknown-keys.js';
import { listedErrors } from '../validation/listed-errors.js';
import { fail, type ValueReader } from '../validation/value-reader.js';
import { SocketApiDeclarationError, type HandlerTarget } from './handler-target.js';

/** One parameter of a handler, with everything needed to fill it from a message. */
export interface BoundParam {
  index: number;
  kind: typeof DATA_PARAM | typeof CONNECTION_PARAM | typeof CHANNEL_PARAM;
  /**
   * `@Data('user')`: `user`; `@Data()`: undefined (the whole `data`). `@ChannelParam('roomId')`:
   * `roomId`; `@ChannelParam()`: undefined (every parameter of the concrete channel).
   */
  property?: string;
  metatype: unknown;
  read: ValueReader;
  pipes: ParamPipe[];
}

export interface BinderOptions {
  validator: ValidatorOptions;
  transformer: ClassTransformOptions;
  /** Refuse keys of `data` that no parameter declares, at any depth (`strictInput`). */
  strictInput?: boolean;
}

const PRIMITIVE_READERS = new Map<unknown, ValueReader>([
  [Number, readNumber],
  [Boolean, readBoolean],
  [String, readString],
  [Array, readArray],
  [Object, readAny],
]);

/**
 * Fills a handler's arguments from a message's `data`. Built once per handler at startup from the
 * parameters' decorators and declared types; every failing property is reported in one error.
 */
export class ParamsBinder {
  private constructor(
    readonly params: BoundParam[],
    private readonly failureMessage: string,
    /** Strict input when `data` is read property by property: the keys no `@Data('name')` reads. */
    private readonly unknownDataKeys?: UnknownKeysCheck,
  ) {}

  static compile(target: HandlerTarget, options: BinderOptions): ParamsBinder {
    const declared = readParams(target.classRef, target.methodName);
    const types =
      (Reflect.getMetadata('design:paramtypes', target.classRef.prototype as object, target.methodName) as
        unknown[] | undefined) ?? [];
    const dataParams = declared.get(DATA_PARAM) ?? [];
    const strict = options.strictInput ? strictInputOf(dataParams, types, options.validator) : undefined;
    const params: BoundParam[] = [
      ...(declared.get(CONNECTION_PARAM) ?? []).map(({ index, pipes }) => ({
        index,
        kind: CONNECTION_PARAM,
        metatype: types[index],
        read: readAny,
        pipes,
      })),
      ...dataParams.map(({ index, data, pipes }) => ({
        index,
        kind: DATA_PARAM,
        property: data,
        metatype: types[index],
        read: readerFor(target, '@Data()', index, types[index], options, strict?.(index, data)),
        pipes,
      })),
      ...channelParams(target, declared.get(CHANNEL_PARAM) ?? []).map(({ index, data, pipes }) => ({
        index,
        kind: CHANNEL_PARAM,
        property: data,
        metatype: types[index],
        read: readerFor(target, '@ChannelParam()', index, types[index], options),
        pipes,
      })),
    ].sort((a, b) => a.index - b.index) as BoundParam[];
    assertEveryParamDecorated(target, params, Math.max(types.length, target.method.length));
    const unknownDataKeys = options.strictInput ? unknownDataKeysOf(dataParams) : undefined;
    return new ParamsBinder(params, ErrorMessage.invalidParameters(target.kind, target.name), unknownDataKeys);
  }

  /**
   * The arguments, or a Promise of them when a DTO is validated; throws on invalid `data` or channel
   * parameters (`params`: those of the concrete channel subscribed to).
   */
  bind(connection: SocketConnection, data: unknown, params: ChannelParams = NO_PARAMS): unknown[] | Promise<unknown[]> {
    const args = new Array<unknown>(this.params.length);
    const errors: FieldError[] = [];
    let pending: Promise<void>[] | undefined;
    if (this.unknownDataKeys !== undefined) this.unknownDataKeys(data, '', errors);
    for (const param of this.params) {
      const value =
        param.kind === CONNECTION_PARAM
          ? connection
          : param.kind === CHANNEL_PARAM
            ? readChannelParam(param, params, errors)
            : this.readData(param, data, errors);
      if (value instanceof Promise) {
        (pending ??= []).push(value.then((resolved) => void (args[param.index] = resolved)));
      } else {
        args[param.index] = value;
      }
    }
    if (pending) return Promise.all(pending).then(() => this.complete(args, errors));
    return this.complete(args, errors);
  }

  private readData(param: BoundParam, data: unknown, errors: FieldError[]): unknown {
    if (param.property === undefined) return param.read(data, '', errors);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      // Reported once for the whole message, however many properties were asked for.
      if (!errors.some((error) => error.path === '')) fail(errors, '', 'must be an object');
      return undefined;
    }
    const value = Object.hasOwn(data, param.property) ? (data as Record<string, unknown>)[param.property] : undefined;
    return param.read(value, param.property, errors);
  }

  private complete(args: unknown[], errors: FieldError[]): unknown[] {
    if (errors.length === 0) return args;
    const listed = listedErrors(errors);
    const message =
      listed.length < errors.length
        ? ErrorMessage.someErrorsListed(this.failureMessage, listed.length, errors.length)
        : this.failureMessage;
    throw new SocketApiValidationException(message, listed);
  }
}

/**
 * A channel parameter, reported under its name with a `:` (`:roomId`), so that a client can tell it
 * from a `data` property of the same name.
 */
function readChannelParam(param: BoundParam, params: ChannelParams, errors: FieldError[]): unknown {
  if (param.property !== undefined) {
    const value = Object.hasOwn(params, param.property) ? params[param.property] : undefined;
    return param.read(value, `:${param.property}`, errors);
  }
  const own: FieldError[] = [];
  const value = param.read(params, '', own);
  const report = () => {
    for (const error of own) errors.push({ path: `:${error.path}`, messages: error.messages });
  };
  if (value instanceof Promise) {
    return value.then((resolved: unknown) => {
      report();
      return resolved;
    });
  }
  report();
  return value;
}

/** `@ChannelParam()`s of a channel method, each naming one of its pattern's parameters (or all of them). */
function channelParams(target: HandlerTarget, declared: ParamMetadata[]): ParamMetadata[] {
  if (declared.length === 0) return declared;
  if (target.kind !== 'channel') {
    throw new SocketApiDeclarationError(target, '@ChannelParam() is for the parameters of a @SocketChannel() name.');
  }
  const { params } = ChannelPattern.compile(target.name);
  for (const { data } of declared) {
    if (data !== undefined && !params.includes(data)) {
      const known = params.length > 0 ? params.map((name) => `:${name}`).join(', ') : 'none';
      throw new SocketApiDeclarationError(
        target,
        `@ChannelParam('${data}'): channel '${target.name}' has no parameter ':${data}' (its parameters: ${known}).`,
      );
    }
  }
  return declared;
}

/**
 * Strict input of each DTO `@Data()` parameter, by index: a `@Data()` DTO reads the whole `data`, whose
 * top keys may also be read by `@Data('name')`s and other whole-`data` DTOs.
 */
function strictInputOf(
  dataParams: ParamMetadata[],
  types: unknown[],
  validator: ValidatorOptions,
): (index: number, property: string | undefined) => StrictInput {
  const whole = dataParams.filter(({ data }) => data === undefined).map(({ index }) => index);
  const named = dataParams.flatMap(({ data }) => (data === undefined ? [] : [data]));
  return (index, property) => {
    if (property !== undefined) return {};
    const others = whole.filter((other) => other !== index);
    // Another parameter takes the whole `data` unchecked (`object`, `unknown`): its top is free-form.
    if (others.some((other) => !isDto(types[other]))) return { openRoot: true };
    const declared = others.flatMap((other) => declaredKeys(types[other] as Type<object>, validator));
    return { rootKeys: [...named, ...declared] };
  };
}

/**
 * The top keys of `data` are checked by the binder when only `@Data('name')`s read it; a whole-`data`
 * DTO checks them itself, and a whole `data` of another type (`object`, `unknown`) is free-form.
 */
function unknownDataKeysOf(dataParams: ParamMetadata[]): UnknownKeysCheck | undefined {
  if (dataParams.length === 0 || dataParams.some(({ data }) => data === undefined)) return undefined;
  return compileUnknownDataKeys(dataParams.map(({ data }) => data as string));
}

function isDto(metatype: unknown): boolean {
  return typeof metatype === 'function' && !PRIMITIVE_READERS.has(metatype);
}

function readerFor(
  target: HandlerTarget,
  decorator: string,
  index: number,
  metatype: unknown,
  options: BinderOptions,
  strict?: StrictInput,
): ValueReader {
  const primitive = PRIMITIVE_READERS.get(metatype);
  if (primitive) return primitive;
  if (typeof metatype !== 'function') {
    throw new SocketApiDeclarationError(
      target,
      `the type of ${decorator} parameter #${index} is unknown. Turn on "emitDecoratorMetadata" and make sure ` +
        'the type is defined before the class that uses it.',
    );
  }
  const type = metatype as Type<object>;
  if (!hasValidationRules(type)) {
    throw new SocketApiDeclarationError(
      target,
      `${decorator} parameter #${index} has type ${type.name}, which cannot be validated: give it class-validator ` +
        'decorators, or declare the parameter as string, number, boolean, an array or an object type.',
    );
  }
  return dtoReader(type, options.validator, options.transformer, strict);
}

function assertEveryParamDecorated(target: HandlerTarget, params: BoundParam[], count: number): void {
  const decorated = new Set(params.map((param) => param.index));
  for (let index = 0; index < count; index++) {
    if (!decorated.has(index)) {
      throw new SocketApiDeclarationError(target, `parameter #${index} needs @Data() or @Connection().`);
    }
  }
}
