/**
 * The HTTP request rate limit of one address (`AddressLimits.request`), as Express middleware: over
 * its rate, an address gets 429 `RATE_LIMITED` (with `Retry-After`) before any route reads a byte.
 */
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '../../protocol/index.ts';
import { addressOf, type AddressLimits } from '../net/address-limits.ts';
import { refuse } from './respond.ts';

/** The middleware; goes first in the app. */
export function rateLimit(limits: AddressLimits) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (limits.request(addressOf(req.socket))) return next();
    res.set('retry-after', '1');
    refuse(res, ErrorCode.RATE_LIMITED, 'too many requests from this address: slow down');
  };
}
