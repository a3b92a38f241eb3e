/**
 * What an apply did, as read back from the kernel: `changed` is true when the state of
 * the scope the apply touched differs before and after. Controllers' plan layers diff
 * desired against applied state before they apply, so a sync normally applies only real
 * differences; this flag is the executors' honest report of what the kernel did, and what
 * the periodic full sync counts as drift. A concurrent writer in the same scope (another
 * process editing the same table) would be counted as a change too.
 */
export interface ApplyResult {
  readonly changed: boolean;
}
