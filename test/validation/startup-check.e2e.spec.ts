import 'reflect-metadata';
import { Injectable, type Provider } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsObject, IsOptional, IsString, ValidateNested } from 'class-validator';
import { Data, SocketAction, SocketApiModule, SocketChannel } from '../../lib/index.js';
import { StrictInputService } from '../fixtures/strict-input-app.js';
import { CapturingLogger } from '../support/capturing-logger.js';
import { useCleanup } from '../support/cleanup.js';
import { startApp } from '../support/test-app.js';

class Address {
  @IsString() city!: string;
}

class Line {
  @IsInt() quantity!: number;
  /** Found through the array of `Cart.lines`: the check walks the DTOs it reaches. */
  @ValidateNested() address!: Address;
}

class Cart {
  /** No @ValidateNested(): Address's rules never run. */
  @IsOptional() @Type(() => Address) billing?: Address;
  /** No @Type: a plain object. */
  @ValidateNested() shipping!: Address;
  /** An array of DTOs without @ValidateNested(). */
  @Type(() => Line) @IsOptional() @IsObject() lines?: Line[];
  /** An array with @ValidateNested() and no @Type. */
  @IsOptional() @ValidateNested({ each: true }) gifts?: Address[];
}

class Room {
  @IsString() name!: string;
}

@Injectable()
class TrapService {
  @SocketAction('checkout')
  checkout(@Data() cart: Cart): string {
    return typeof cart;
  }

  @SocketChannel('rooms')
  rooms(@Data('room') room: Room, @Data('cart') cart: Cart): string {
    return `${room.name} ${typeof cart}`;
  }
}

const TRAPS = [
  'Cart.billing is declared as Address, a DTO, without @ValidateNested(): its properties are not validated. ' +
    'Add @ValidateNested() @Type(() => Address).',
  'Cart.shipping has @ValidateNested() without @Type(() => Address): the value stays a plain object, which ' +
    'class-validator refuses as "an unknown value" (or, with forbidUnknownValues: false, does not validate). Add ' +
    '@Type(() => Address).',
  'Cart.lines is an array of Line (@Type) without @ValidateNested(): its items are not validated. Add ' +
    '@ValidateNested({ each: true }).',
  'Cart.lines is an array of DTOs, and @IsObject() without { each: true } checks the array itself, not its items ' +
    '(and fails for every array). Add { each: true }.',
  'Cart.gifts is an array with @ValidateNested() but without @Type(() => ItemDto): its items stay plain objects, ' +
    'which class-validator refuses as "an unknown value" (or does not validate). Add @Type(() => ItemDto).',
  'Line.address has @ValidateNested() without @Type(() => Address): the value stays a plain object, which ' +
    'class-validator refuses as "an unknown value" (or, with forbidUnknownValues: false, does not validate). Add ' +
    '@Type(() => Address).',
];

describe('the startup check of DTOs', () => {
  const cleanup = useCleanup();

  async function warnings(providers: Provider[], startupCheck?: 'warn' | 'error' | 'off'): Promise<string[]> {
    const logger = new CapturingLogger();
    cleanup.track(
      await startApp(
        {
          imports: [SocketApiModule.forRoot({ heartbeat: false, validation: startupCheck ? { startupCheck } : {} })],
          providers,
        },
        (app) => app.useLogger(logger),
      ),
    );
    return logger.lines
      .filter((line) => line.level === 'warn' && line.details === 'SocketApi')
      .map((line) => line.message);
  }

  it('warns once per trap, naming class and property, in every DTO a handler reads (each class once)', async () => {
    expect((await warnings([TrapService])).sort()).toEqual([...TRAPS].sort());
  });

  it('says nothing of correct DTOs (five levels, arrays of arrays, an optional DTO, a Date, a free-form map)', async () => {
    expect(await warnings([StrictInputService])).toEqual([]);
  });

  it("'off' does not check", async () => {
    expect(await warnings([TrapService], 'off')).toEqual([]);
  });

  it("'error' refuses to start, listing every trap", async () => {
    const started = warnings([TrapService], 'error');
    await expect(started).rejects.toThrow(
      "The DTOs of the handlers' data have 6 problem(s) (validation.startupCheck is 'error'):\n- ",
    );
    await expect(started).rejects.toThrow(TRAPS[0]);
  });
});
