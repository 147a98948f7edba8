import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  ImATeapotException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import {
  HistoryUnavailableError,
  SocketApiException,
  SocketApiValidationException,
} from '../../lib/protocol/errors.js';
import { ErrorMessage } from '../../lib/protocol/socket-api.messages.js';
import {
  httpStatusCode,
  internalError,
  mapException,
  type ExceptionOrigin,
} from '../../lib/protocol/exception-mapper.js';

const ORIGINS: ExceptionOrigin[] = ['guard', 'handler'];

describe('mapException', () => {
  describe('SocketApiException', () => {
    it.each(ORIGINS)('keeps an explicit code and the message (origin %s)', (origin) => {
      expect(mapException(new SocketApiException('Invalid token', 'UNAUTHORIZED'), origin)).toEqual({
        code: 'UNAUTHORIZED',
        message: 'Invalid token',
      });
    });

    it('without a code, is FORBIDDEN when a guard threw it', () => {
      expect(mapException(new SocketApiException('Members only'), 'guard')).toEqual({
        code: 'FORBIDDEN',
        message: 'Members only',
      });
    });

    it('without a code, is BAD_REQUEST when a handler threw it', () => {
      expect(mapException(new SocketApiException('Room is full'), 'handler')).toEqual({
        code: 'BAD_REQUEST',
        message: 'Room is full',
      });
    });

    it('an explicit code wins over the guard default', () => {
      expect(mapException(new SocketApiException('Slow down', 'RATE_LIMITED'), 'guard')?.code).toBe('RATE_LIMITED');
    });

    it('an empty-string code is kept (only a missing code falls back)', () => {
      expect(mapException(new SocketApiException('m', ''), 'handler')).toEqual({ code: '', message: 'm' });
    });

    it('a subclass maps like its parent', () => {
      class RoomFullException extends SocketApiException {
        constructor() {
          super('The room is full', 'ROOM_FULL');
        }
      }
      expect(mapException(new RoomFullException(), 'handler')).toEqual({
        code: 'ROOM_FULL',
        message: 'The room is full',
      });
    });

    it('does not add errors, channel or id', () => {
      const payload = mapException(new SocketApiException('m', 'C'), 'handler');
      expect(Object.keys(payload ?? {}).sort()).toEqual(['code', 'message']);
    });
  });

  describe('SocketApiValidationException', () => {
    const errors = [
      { path: 'user.address.zipcode', messages: ['zipcode must be a string'] },
      { path: 'count', messages: ['count must be an integer number', 'count must not be less than 1'] },
    ];

    it.each(ORIGINS)('is VALIDATION_ERROR with its message and errors (origin %s)', (origin) => {
      const payload = mapException(
        new SocketApiValidationException("Invalid parameters for action 'join'", errors),
        origin,
      );
      expect(payload).toEqual({ code: 'VALIDATION_ERROR', message: "Invalid parameters for action 'join'", errors });
    });

    it('keeps the errors list as given', () => {
      const exception = new SocketApiValidationException('m', errors);
      expect(mapException(exception, 'handler')?.errors).toBe(exception.errors);
    });

    it('keeps an empty errors list', () => {
      expect(mapException(new SocketApiValidationException('m', []), 'handler')).toEqual({
        code: 'VALIDATION_ERROR',
        message: 'm',
        errors: [],
      });
    });
  });

  describe('HttpException', () => {
    it.each([
      ['BadRequestException', new BadRequestException(), 'BAD_REQUEST', 'Bad Request'],
      ['UnauthorizedException', new UnauthorizedException(), 'UNAUTHORIZED', 'Unauthorized'],
      ['ForbiddenException', new ForbiddenException(), 'FORBIDDEN', 'Forbidden'],
      ['NotFoundException', new NotFoundException(), 'NOT_FOUND', 'Not Found'],
      ['ImATeapotException', new ImATeapotException(), 'I_AM_A_TEAPOT', "I'm a teapot"],
    ])('%s without arguments: code from the status, default message', (_name, exception, code, message) => {
      expect(mapException(exception, 'handler')).toEqual({ code, message });
    });

    it.each([
      [new BadRequestException('Name is taken'), 'BAD_REQUEST'],
      [new UnauthorizedException('Invalid token'), 'UNAUTHORIZED'],
      [new ForbiddenException('Admins only'), 'FORBIDDEN'],
      [new NotFoundException('No such room'), 'NOT_FOUND'],
    ])('keeps the message given to a built-in exception (%#)', (exception, code) => {
      expect(mapException(exception, 'handler')).toEqual({ code, message: exception.message });
      expect(exception.message).not.toBe('');
    });

    it('the code comes from the status, not the origin: a guard throwing Unauthorized is UNAUTHORIZED', () => {
      expect(mapException(new UnauthorizedException('Log in first'), 'guard')).toEqual({
        code: 'UNAUTHORIZED',
        message: 'Log in first',
      });
      expect(mapException(new BadRequestException('bad'), 'guard')?.code).toBe('BAD_REQUEST');
    });

    it("Nest's default guard refusal maps to FORBIDDEN / Forbidden resource", () => {
      expect(mapException(new ForbiddenException('Forbidden resource'), 'guard')).toEqual({
        code: 'FORBIDDEN',
        message: 'Forbidden resource',
      });
    });

    it('a custom status 418 is I_AM_A_TEAPOT', () => {
      expect(mapException(new HttpException('Short and stout', 418), 'handler')).toEqual({
        code: 'I_AM_A_TEAPOT',
        message: 'Short and stout',
      });
    });

    it('an unknown status 499 is HTTP_499', () => {
      expect(mapException(new HttpException('Client closed request', 499), 'handler')).toEqual({
        code: 'HTTP_499',
        message: 'Client closed request',
      });
    });

    it('a custom HttpException subclass maps by its status', () => {
      class PaymentRequiredException extends HttpException {
        constructor(message: string) {
          super(message, HttpStatus.PAYMENT_REQUIRED);
        }
      }
      expect(mapException(new PaymentRequiredException('Upgrade your plan'), 'handler')).toEqual({
        code: 'PAYMENT_REQUIRED',
        message: 'Upgrade your plan',
      });
    });

    it('message from a string response', () => {
      expect(mapException(new HttpException('plain text', HttpStatus.CONFLICT), 'handler')).toEqual({
        code: 'CONFLICT',
        message: 'plain text',
      });
    });

    it('message from an object response with a string message', () => {
      const exception = new HttpException({ message: 'From the object', extra: 1 }, HttpStatus.UNPROCESSABLE_ENTITY);
      expect(mapException(exception, 'handler')).toEqual({ code: 'UNPROCESSABLE_ENTITY', message: 'From the object' });
    });

    it("an array message (ValidationPipe's) is joined with '; '", () => {
      const exception = new BadRequestException(['name must be a string', 'age must be a positive number']);
      expect(mapException(exception, 'handler')).toEqual({
        code: 'BAD_REQUEST',
        message: 'name must be a string; age must be a positive number',
      });
    });

    it('an array message in a raw object response is joined too', () => {
      const exception = new HttpException({ statusCode: 400, message: ['a', 'b', 'c'], error: 'Bad Request' }, 400);
      expect(mapException(exception, 'handler')?.message).toBe('a; b; c');
    });

    it('a one-element array message has no separator', () => {
      expect(mapException(new BadRequestException(['only one']), 'handler')?.message).toBe('only one');
    });

    it("an object response without a usable message falls back to the exception's own message", () => {
      const exception = new HttpException({ reason: 'nope', message: 42 }, HttpStatus.GONE);
      const payload = mapException(exception, 'handler');
      expect(payload).toEqual({ code: 'GONE', message: exception.message });
      expect(typeof payload?.message).toBe('string');
      expect(payload?.message).not.toBe('');
    });
  });

  describe('WsException', () => {
    it('with a string: that message, BAD_REQUEST from a handler', () => {
      expect(mapException(new WsException('Bad move'), 'handler')).toEqual({
        code: 'BAD_REQUEST',
        message: 'Bad move',
      });
    });

    it('with a string: FORBIDDEN from a guard', () => {
      expect(mapException(new WsException('Admins only'), 'guard')).toEqual({
        code: 'FORBIDDEN',
        message: 'Admins only',
      });
    });

    it.each(ORIGINS)('with {code, message}: both kept (origin %s)', (origin) => {
      expect(mapException(new WsException({ code: 'GAME_OVER', message: 'The game is over' }), origin)).toEqual({
        code: 'GAME_OVER',
        message: 'The game is over',
      });
    });

    it('with {message} only: the message, and the origin default code', () => {
      expect(mapException(new WsException({ message: 'Nope' }), 'handler')).toEqual({
        code: 'BAD_REQUEST',
        message: 'Nope',
      });
      expect(mapException(new WsException({ message: 'Nope' }), 'guard')).toEqual({
        code: 'FORBIDDEN',
        message: 'Nope',
      });
    });

    it('a non-string code falls back to the origin default', () => {
      expect(mapException(new WsException({ code: 42, message: 'm' }), 'handler')).toEqual({
        code: 'BAD_REQUEST',
        message: 'm',
      });
    });

    it('an object without a string message still gives a non-empty string message', () => {
      const payload = mapException(new WsException({ code: 'X', detail: 1 }), 'handler');
      expect(payload?.code).toBe('X');
      expect(typeof payload?.message).toBe('string');
      expect(payload?.message).not.toBe('');
    });

    it('extra fields of the error object do not leak into the payload', () => {
      const payload = mapException(new WsException({ code: 'C', message: 'm', secret: 's' }), 'handler');
      expect(payload).toEqual({ code: 'C', message: 'm' });
    });
  });

  describe('anything not meant for clients is undefined', () => {
    it.each([
      ['a plain Error', new Error('database is down')],
      ['a TypeError', new TypeError('x is not a function')],
      ['a string', 'oops'],
      ['undefined', undefined],
      ['null', null],
      ['a number', 500],
      ['an object shaped like a payload', { code: 'FORBIDDEN', message: 'fake' }],
      ['an Error with a code property', Object.assign(new Error('boom'), { code: 'ECONNREFUSED' })],
    ])('%s', (_label, thrown) => {
      expect(mapException(thrown, 'handler')).toBeUndefined();
      expect(mapException(thrown, 'guard')).toBeUndefined();
    });
  });
});

describe('mapException: HistoryUnavailableError (issue 12)', () => {
  it.each(ORIGINS)('is UNAVAILABLE with the protocol text, never the store details (origin %s)', (origin) => {
    const exception = new HistoryUnavailableError('redis 10.0.0.5:6379 is down');
    expect(mapException(exception, origin)).toEqual({
      code: 'UNAVAILABLE',
      message: 'Service temporarily unavailable.',
    });
  });
});

describe('internalError', () => {
  it('is INTERNAL_ERROR / Internal server error', () => {
    expect(internalError()).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
    expect(ErrorMessage.internalError).toBe('Internal server error');
  });

  it('returns a fresh object each time (callers may add channel and id)', () => {
    const first = internalError();
    first.channel = 'x';
    expect(internalError()).toEqual({ code: 'INTERNAL_ERROR', message: 'Internal server error' });
  });
});

describe('httpStatusCode', () => {
  it.each([
    [400, 'BAD_REQUEST'],
    [401, 'UNAUTHORIZED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [409, 'CONFLICT'],
    [418, 'I_AM_A_TEAPOT'],
    [422, 'UNPROCESSABLE_ENTITY'],
    [429, 'TOO_MANY_REQUESTS'],
    [500, 'INTERNAL_SERVER_ERROR'],
    [503, 'SERVICE_UNAVAILABLE'],
  ])('%i → %s', (status, code) => {
    expect(httpStatusCode(status)).toBe(code);
  });

  it.each([499, 299, 999, 0])('unknown status %i → HTTP_<n>', (status) => {
    expect(httpStatusCode(status)).toBe(`HTTP_${status}`);
  });
});
