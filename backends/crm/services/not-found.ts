import { AppError, ErrorCode } from '../../../platform/errors';

/** Refuses a reference to a record that does not exist, naming the field it came in. */
export function notFound(what: string, id: string, field?: string): AppError {
  return new AppError(ErrorCode.NOT_FOUND, `no ${what} ${id}`, field ? { field, id } : { id });
}
