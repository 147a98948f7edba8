import 'reflect-metadata';
import {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  Catch,
  Controller,
  ExceptionFilter,
  ExecutionContext,
  Injectable,
  Module,
  NestInterceptor,
  ParseIntPipe,
  PipeTransform,
  SetMetadata,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
  ValidationPipe,
  type LoggerService,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { IsString } from 'class-validator';
import { map } from 'rxjs';
import {
  Data,
  SocketAction,
  SocketApiException,
  SocketApiModule,
  SocketChannel,
  SocketConnection,
} from '../lib/index.js';
import { useCleanup } from './support/cleanup.js';
import { startApp, type TestApp } from './support/test-app.js';
import { TestClient } from './support/ws-client.js';

const Roles = (...roles: string[]) => SetMetadata('roles', roles);

/** Records what guards saw, to check the ExecutionContext. */
const seen: Array<{ type: string; client: unknown; data: unknown; pattern: unknown; handler: string }> = [];

@Injectable()
class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    const ws = context.switchToWs();
    seen.push({
      type: context.getType(),
      client: ws.getClient(),
      data: ws.getData(),
      pattern: ws.getPattern(),
      handler: context.getHandler().name,
    });
    const roles = this.reflector.getAllAndOverride<string[] | undefined>('roles', [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles) return true;
    return roles.includes(String(ws.getClient<SocketConnection>().query.role));
  }
}

/** A global guard registered with APP_GUARD: refuses any message whose data says `blocked`. */
@Injectable()
class BlocklistGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToWs().getData<{ blocked?: boolean }>().blocked !== true;
  }
}

@Injectable()
class WrapInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((value: unknown) => ({ wrapped: value })));
  }
}

@Injectable()
class EnvelopeInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((value: unknown) => ({ global: value })));
  }
}

@Injectable()
class UpperCasePipe implements PipeTransform {
  transform(value: unknown) {
    return typeof value === 'string' ? value.toUpperCase() : value;
  }
}

class DomainError extends Error {}

@Catch(DomainError)
class DomainErrorToValue implements ExceptionFilter {
  catch(exception: DomainError) {
    return { recovered: exception.message };
  }
}

@Catch(DomainError)
class DomainErrorToClientError implements ExceptionFilter {
  catch(exception: DomainError, host: ArgumentsHost) {
    throw new SocketApiException(`${exception.message} (${host.getType()})`, 'DOMAIN');
  }
}

class NoteDto {
  @IsString() text!: string;
}

@Injectable()
class GreetingService {
  greet(name: string) {
    return `Hello, ${name}!`;
  }
}

@UseGuards(RolesGuard)
@Injectable()
class GuardedService {
  constructor(private readonly greetings: GreetingService) {}

  @SocketAction('open')
  open(@Data('name') name: string) {
    return this.greetings.greet(name);
  }

  @Roles('admin')
  @SocketAction('admin_only')
  adminOnly() {
    return 'secret';
  }

  @Roles('admin')
  @SocketChannel('admin_feed')
  adminFeed() {
    return undefined;
  }
}

@Injectable()
class PipedService {
  @SocketAction('parse_int')
  parseInt(@Data('id', ParseIntPipe) id: number) {
    return { id, type: typeof id };
  }

  @SocketAction('shout')
  shout(@Data('text', UpperCasePipe) text: string) {
    return text;
  }

  @UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }))
  @SocketAction('strict_note')
  strictNote(@Data() note: NoteDto) {
    return note.text;
  }

  @UseInterceptors(WrapInterceptor)
  @SocketAction('wrapped')
  wrapped() {
    return 1;
  }

  @UseFilters(DomainErrorToValue)
  @SocketAction('recovering')
  recovering() {
    throw new DomainError('plan B');
  }

  @UseFilters(DomainErrorToClientError)
  @SocketAction('translating')
  async translating() {
    throw new DomainError('no seats');
  }

  @SocketAction('crash')
  crash() {
    throw new TypeError('boom');
  }
}

/** A controller can hold socket handlers too. */
@Controller('hybrid')
class HybridController {
  @SocketAction('from_controller')
  fromController() {
    return 'controller';
  }
}

@Module({ providers: [GuardedService, GreetingService, RolesGuard] })
class FeatureModule {}

class CapturingLogger implements LoggerService {
  readonly errors: string[] = [];
  log() {}
  warn() {}
  error(...parts: unknown[]) {
    this.errors.push(parts.map(String).join(' | '));
  }
}

describe('Nest enhancers on socket handlers', () => {
  let t: TestApp;
  let client: TestClient;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    t = await startApp(
      {
        imports: [SocketApiModule.forRoot(), FeatureModule],
        providers: [PipedService, { provide: APP_GUARD, useClass: BlocklistGuard }],
        controllers: [HybridController],
      },
      (app) => {
        app.useLogger(logger);
      },
    );
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    client = await TestClient.open(`${t.url}/?role=user`);
    seen.length = 0;
  });
  afterEach(() => client.close());

  async function exchange(message: unknown, replies = 1) {
    client.send(message);
    return client.next(replies);
  }

  it('runs handlers on the DI instance with its injected services', async () => {
    expect(await exchange({ type: 'action', channel: 'open', data: { name: 'Ada' } })).toEqual([
      { type: 'action', channel: 'open', status: 'completed', data: 'Hello, Ada!' },
    ]);
  });

  it("gives guards a 'ws' ExecutionContext: the SocketConnection, the data and the name", async () => {
    await exchange({ type: 'action', channel: 'open', data: { name: 'Ada' } });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ type: 'ws', data: { name: 'Ada' }, pattern: 'open', handler: 'open' });
    expect(seen[0].client).toBeInstanceOf(SocketConnection);
  });

  it('class-level guards with Reflector metadata refuse with FORBIDDEN, on actions and on subscribe', async () => {
    expect(await exchange({ type: 'action', channel: 'admin_only', id: 1 })).toEqual([
      { type: 'error', code: 'FORBIDDEN', message: 'Forbidden resource', channel: 'admin_only', id: 1 },
    ]);
    expect(await exchange({ type: 'subscribe', channel: 'admin_feed', id: 2 })).toEqual([
      { type: 'error', code: 'FORBIDDEN', message: 'Forbidden resource', channel: 'admin_feed', id: 2 },
    ]);
    const admin = await TestClient.open(`${t.url}/?role=admin`);
    admin.send({ type: 'action', channel: 'admin_only' });
    expect(await admin.next()).toEqual([
      { type: 'action', channel: 'admin_only', status: 'completed', data: 'secret' },
    ]);
    await admin.close();
  });

  it('global guards (APP_GUARD) apply to socket handlers too', async () => {
    expect(await exchange({ type: 'action', channel: 'shout', data: { text: 'hi', blocked: true }, id: 3 })).toEqual([
      { type: 'error', code: 'FORBIDDEN', message: 'Forbidden resource', channel: 'shout', id: 3 },
    ]);
  });

  it('param pipes, by instance or by class with DI, run after validation', async () => {
    expect(await exchange({ type: 'action', channel: 'parse_int', data: { id: '42' } })).toEqual([
      { type: 'action', channel: 'parse_int', status: 'completed', data: { id: 42, type: 'number' } },
    ]);
    expect(await exchange({ type: 'action', channel: 'shout', data: { text: 'hi' } })).toEqual([
      { type: 'action', channel: 'shout', status: 'completed', data: 'HI' },
    ]);
  });

  it('a pipe that throws an HttpException reaches the client with its code, never as an internal error', async () => {
    expect(await exchange({ type: 'action', channel: 'parse_int', data: { id: '4.5' }, id: 4 })).toEqual([
      {
        type: 'error',
        code: 'BAD_REQUEST',
        message: 'Validation failed (numeric string is expected)',
        channel: 'parse_int',
        id: 4,
      },
    ]);
    expect(await exchange({ type: 'action', channel: 'strict_note', data: { text: 'ok', extra: 1 }, id: 5 })).toEqual([
      { type: 'error', code: 'BAD_REQUEST', message: 'property extra should not exist', channel: 'strict_note', id: 5 },
    ]);
    expect(await exchange({ type: 'action', channel: 'strict_note', data: { text: 'ok' } })).toEqual([
      { type: 'action', channel: 'strict_note', status: 'completed', data: 'ok' },
    ]);
  });

  it('interceptors wrap the result: method-level inside the global one (APP_INTERCEPTOR)', async () => {
    expect(await exchange({ type: 'action', channel: 'wrapped' })).toEqual([
      { type: 'action', channel: 'wrapped', status: 'completed', data: { wrapped: 1 } },
    ]);
  });

  it('exception filters: a returned value becomes the result, a thrown exception the error', async () => {
    expect(await exchange({ type: 'action', channel: 'recovering' })).toEqual([
      { type: 'action', channel: 'recovering', status: 'completed', data: { recovered: 'plan B' } },
    ]);
    expect(await exchange({ type: 'action', channel: 'translating', id: 6 })).toEqual([
      { type: 'error', code: 'DOMAIN', message: 'no seats (ws)', channel: 'translating', id: 6 },
    ]);
  });

  it("logs an unexpected exception with its stack, sends only 'Internal server error'", async () => {
    logger.errors.length = 0;
    expect(await exchange({ type: 'action', channel: 'crash', id: 7 })).toEqual([
      { type: 'error', code: 'INTERNAL_ERROR', message: 'Internal server error', channel: 'crash', id: 7 },
    ]);
    expect(logger.errors.join('\n')).toMatch(
      /Unhandled exception in action 'crash' \(PipedService\.crash\(\)\)[\s\S]*TypeError: boom/,
    );
  });

  it('does not log client errors', async () => {
    logger.errors.length = 0;
    await exchange({ type: 'action', channel: 'parse_int', data: { id: 'abc' } });
    await exchange({ type: 'action', channel: 'admin_only' });
    await exchange({ type: 'action', channel: 'nope' });
    expect(logger.errors).toEqual([]);
  });

  it('finds handlers on controllers', async () => {
    expect(await exchange({ type: 'action', channel: 'from_controller' })).toEqual([
      { type: 'action', channel: 'from_controller', status: 'completed', data: 'controller' },
    ]);
  });
});

describe('global enhancers registered with app.useGlobal*()', () => {
  const cleanup = useCleanup();

  it('apply when registered before listen()', async () => {
    const t = cleanup.track(
      await startApp(
        {
          imports: [SocketApiModule.forRoot()],
          providers: [PipedService, { provide: APP_INTERCEPTOR, useClass: EnvelopeInterceptor }],
        },
        (app) => {
          app.useGlobalPipes(new UpperCasePipe());
        },
      ),
    );
    const client = await TestClient.open(t.url);
    client.send({ type: 'action', channel: 'shout', data: { text: 'quiet' } });
    client.send({ type: 'action', channel: 'wrapped' });
    expect(await client.next(2)).toEqual([
      { type: 'action', channel: 'shout', status: 'completed', data: { global: 'QUIET' } },
      { type: 'action', channel: 'wrapped', status: 'completed', data: { global: { wrapped: 1 } } },
    ]);
  });
});
