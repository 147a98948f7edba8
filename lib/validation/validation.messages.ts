/**
 * What the startup check of DTOs logs (or, with `validation.startupCheck: 'error'`, refuses to start
 * with): the class-validator mistakes that leave nested data unvalidated, each naming class and property.
 */

/** A property whose declared type is a DTO, without `@ValidateNested()`: class-validator never looks inside. */
export const nestedWithoutValidateNested = (className: string, property: string, nested: string): string =>
  `${className}.${property} is declared as ${nested}, a DTO, without @ValidateNested(): its properties are ` +
  `not validated. Add @ValidateNested() @Type(() => ${nested}).`;

/** `@ValidateNested()` on a DTO property without `@Type`: the value stays a plain object. */
export const nestedWithoutType = (className: string, property: string, nested: string): string =>
  `${className}.${property} has @ValidateNested() without @Type(() => ${nested}): the value stays a plain ` +
  'object, which class-validator refuses as "an unknown value" (or, with forbidUnknownValues: false, does ' +
  `not validate). Add @Type(() => ${nested}).`;

/** `@Type(() => Dto)` on an array property without `@ValidateNested()`: the items are built, never validated. */
export const arrayWithoutValidateNested = (className: string, property: string, nested: string): string =>
  `${className}.${property} is an array of ${nested} (@Type) without @ValidateNested(): its items are not ` +
  'validated. Add @ValidateNested({ each: true }).';

/** `@ValidateNested()` on an array property without `@Type`: the items stay plain objects. */
export const arrayWithoutType = (className: string, property: string): string =>
  `${className}.${property} is an array with @ValidateNested() but without @Type(() => ItemDto): its items ` +
  'stay plain objects, which class-validator refuses as "an unknown value" (or does not validate). Add ' +
  '@Type(() => ItemDto).';

/** A rule meant for the items of an array of DTOs, without `each: true`: it checks the array itself. */
export const arrayRuleWithoutEach = (className: string, property: string, rule: string): string =>
  `${className}.${property} is an array of DTOs, and @${rule}() without { each: true } checks the array ` +
  'itself, not its items (and fails for every array). Add { each: true }.';

/** `startupCheck: 'error'`: the app does not start. */
export const dtoTrapsFound = (problems: string[]): string =>
  `The DTOs of the handlers' data have ${problems.length} problem(s) (validation.startupCheck is 'error'):\n` +
  problems.map((problem) => `- ${problem}`).join('\n');
