import { IsString, Length } from 'class-validator';

export class AddressDto {
  @IsString()
  street!: string;

  @IsString()
  city!: string;

  @IsString()
  @Length(5, 10)
  zipcode!: string;
}
