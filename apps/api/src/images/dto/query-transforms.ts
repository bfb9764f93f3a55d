import { Transform } from 'class-transformer';

/** "true"/"1" → true, "false"/"0" → false; anything else is left for @IsBoolean to reject. */
export const ToBoolean = () =>
  Transform(({ value }) => {
    if (value === 'true' || value === '1' || value === true) return true;
    if (value === 'false' || value === '0' || value === false) return false;
    return value;
  });

/** A repeated query parameter (`?label=a&label=b`) or a single one, as an array. */
export const ToArray = () => Transform(({ value }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]));
