import type { Observable } from 'rxjs';

/** A method whose result is a `Value`: returned, awaited (a Promise) or emitted (an Observable, whose last value counts). */
export type MethodReturning<Value> = (...args: never[]) => Value | Promise<Value> | Observable<Value>;

/**
 * A method decorator that the compiler checks against the method's return type: decorating a method
 * whose result does not fit `Value` is a compile error (on the decorator's line). Generic over the
 * method so that its own parameter types are kept, whatever they are.
 */
export type TypedMethodDecorator<Value> = <Method extends MethodReturning<Value>>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<Method>,
) => void;
