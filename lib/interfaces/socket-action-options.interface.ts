import type { ValidatorOptions } from 'class-validator';

export interface SocketActionOptions {
  /** class-validator options for this handler's DTOs, merged over the module's `validation.validator`. */
  validation?: ValidatorOptions;
}
