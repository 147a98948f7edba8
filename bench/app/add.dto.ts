import { IsInt } from 'class-validator';

export class AddDto {
  @IsInt() a!: number;
  @IsInt() b!: number;
}
