import { registerDecorator, ValidationOptions } from 'class-validator';
import { normaliseServerAddress } from '../registry-address';

/** host[:port] of a registry (DNS name, IPv4 or [IPv6]; port 1-65535). Rule name: isRegistryAddress. */
export function IsRegistryAddress(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isRegistryAddress',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: `${String(propertyName)} must be a registry address host[:port], e.g. registry.example.com or 127.0.0.1:5000`, ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && normaliseServerAddress(value) !== undefined },
    });
}
