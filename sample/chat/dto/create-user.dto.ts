import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsString, Length, Min, ValidateNested } from 'class-validator';
import { AddressDto } from './address.dto.js';

export class CreateUserDto {
  @IsString()
  @Length(2, 32)
  username!: string;

  @IsEmail()
  email!: string;

  @IsInt()
  @Min(0)
  age!: number;

  @ValidateNested()
  @Type(() => AddressDto)
  address!: AddressDto;
}
