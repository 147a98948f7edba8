import { IsInt } from 'class-validator';

/** `add`'s parameters, checked by class-validator through Nest's ValidationPipe. */
export class AddDto {
  @IsInt() a!: number;
  @IsInt() b!: number;
}
