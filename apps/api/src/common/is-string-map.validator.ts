import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** An object whose keys match `keyPattern` and whose values are strings (env maps, labels). */
export function IsStringMap(keyPattern: RegExp, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName,
      options,
      constraints: [keyPattern],
      validator: {
        validate(value: unknown) {
          if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
          const entries = Object.entries(value);
          return entries.length <= 512 && entries.every(([k, v]) => keyPattern.test(k) && typeof v === 'string' && v.length <= 65536);
        },
        defaultMessage(args: ValidationArguments) {
          const bad = args.value && typeof args.value === 'object' ? Object.entries(args.value).find(([k, v]) => !keyPattern.test(k) || typeof v !== 'string') : undefined;
          return bad
            ? `${args.property} has an invalid entry ${JSON.stringify(bad[0])}: keys must match ${keyPattern} and values must be strings`
            : `${args.property} must be an object of string values`;
        },
      },
    });
}
