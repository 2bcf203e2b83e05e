/**
 * The HTTP request rate limit of one address (`AddressLimits.request`, and in a cluster the rate
 * shared by every node), as Express middleware: over its rate, an address gets 429 `RATE_LIMITED`
 * (with `Retry-After`) before any route reads a byte. The address is the client's as `trust` sees
 * it (behind a trusted balancer: from `X-Forwarded-For`), remembered for the request's routes.
 */
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from '../../protocol/index.ts';
import type { AddressLimits } from '../net/address-limits.ts';
import { ProxyTrust } from '../net/client-address.ts';
import { refuse } from './respond.ts';

/** The middleware; goes first in the app. */
export function rateLimit(limits: AddressLimits, trust: ProxyTrust = ProxyTrust.none) {
  const refused = (res: Response) => {
    res.set('retry-after', '1');
    refuse(res, ErrorCode.RATE_LIMITED, 'too many requests from this address: slow down');
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const address = trust.clientOf(req);
    if (!limits.shared) return limits.request(address) ? next() : refused(res);
    limits.requestShared(address).then(
      (ok) => (ok ? next() : refused(res)),
      (error: unknown) => next(error),
    );
  };
}
